"""The inpainting mask painter: a stroke painted with the pointer over the
starting image becomes the form's mask file (white where painted), the form
is submitted, and what Chromium sent makes an inpainting job.

The Generate page (?inpaint=<id>) is rendered by Django for a signed-in
person and served, with the real static files and the image's file, by a
plain HTTP server that keeps what the form posts; the post is then given to
Django as it came. This module runs among the database tests, so it drives a
browser of its own, closed before the database is used again."""

import base64
import http.server
import io
import threading
from functools import partial

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from studio.models import GenerationJob
from tests.e2e.browser import REPO, SCREENSHOTS, chromium, new_page

pytestmark = [pytest.mark.e2e, pytest.mark.local_engine]


@pytest.fixture
def inpaint_page(owner_client, owner, make_image, tiny_settings):
    source = make_image(owner)
    pages = {"body": owner_client.get(f"/generate/?inpaint={source.pk}").content}
    with source.file.open("rb") as file:
        picture = file.read()
    posted = {}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path.startswith("/generate/"):
                self._send(pages["body"], "text/html; charset=utf-8")
            elif self.path == f"/images/{source.pk}/file":
                self._send(picture, "image/png")
            elif self.path.startswith("/static/"):
                self.path = self.path[len("/static") :]
                super().do_GET()
            else:
                self.send_error(404)

        def do_POST(self):  # noqa: N802
            length = int(self.headers["Content-Length"])
            posted["body"] = self.rfile.read(length)
            posted["content_type"] = self.headers["Content-Type"]
            self._send(b"sent", "text/plain")

        def _send(self, content, content_type):
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Handler, directory=str(REPO / "static"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", source, posted, pages
    finally:
        server.shutdown()
        server.server_close()


def test_a_painted_stroke_is_sent_as_the_mask(inpaint_page, owner_client):
    url, source, posted, _ = inpaint_page
    with chromium() as browser:
        page = new_page(browser, url, viewport={"width": 1280, "height": 1400})
        page.goto(f"/generate/?inpaint={source.pk}")
        page.fill("#id_prompt", "a fox")
        canvas = page.locator(".mask-canvas")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        page.locator(".mask-brush").fill("80")  # screen pixels: the picture is shown larger
        # A horizontal stroke across the middle of the picture.
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.25, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
        page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=5)
        page.mouse.up()
        page.wait_for_function(
            "document.querySelector('[data-mask-painter]').dataset.maskReady === 'true'"
        )
        mask = mask_file(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("fieldset.inpaint").screenshot(path=str(SCREENSHOTS / "inpaint-mask.png"))
        # Invert, then clear: nothing painted leaves the mask out of the form.
        page.evaluate("document.querySelector('[data-mask-painter]').dataset.maskReady = ''")
        page.click(".mask-invert")
        page.wait_for_function(
            "document.querySelector('[data-mask-painter]').dataset.maskReady === 'true'"
        )
        inverted = mask_file(page)
        page.click(".mask-clear")
        page.wait_for_function(
            "document.querySelector('[data-mask-painter]').dataset.maskReady === 'false'"
        )
        assert page.evaluate("document.getElementById('id_mask').files.length") == 0
        # Paint again and submit.
        box = canvas.bounding_box()  # the screenshot may have scrolled the page
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.25, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=5)
        page.mouse.up()
        page.wait_for_function(
            "document.querySelector('[data-mask-painter]').dataset.maskReady === 'true'"
        )
        page.click(".generate-form button[type=submit]")
        page.wait_for_function("document.body.innerText.includes('sent')")

    assert mask.shape == (48, 64)  # the starting image's own size
    assert mask[24, 32] == 255 and mask[2, 2] == 0 and mask[24, 2] == 0
    assert (mask == 255).sum() > 40
    assert inverted[24, 32] == 0 and inverted[2, 2] == 255

    response = owner_client.generic(
        "POST", "/generate/", posted["body"], content_type=posted["content_type"]
    )
    assert response.status_code == 302, response.context["form"].errors
    job = GenerationJob.objects.get()
    assert job.request["init_image"] == source.pk and job.request["mask_sha256"]


def mask_file(page) -> np.ndarray:
    sent = page.evaluate(
        """async () => {
            const file = document.getElementById('id_mask').files[0];
            const bytes = new Uint8Array(await file.arrayBuffer());
            let text = '';
            bytes.forEach(b => { text += String.fromCharCode(b); });
            return btoa(text);
        }"""
    )
    return np.asarray(PILImage.open(io.BytesIO(base64.b64decode(sent))).convert("L"))


def test_a_form_sent_back_paints_its_mask_again(inpaint_page, owner_client):
    url, source, _, pages = inpaint_page
    mask = PILImage.new("L", (64, 48), 0)
    mask.paste(255, (10, 10, 30, 30))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")

    sent = SimpleUploadedFile("m.png", buffer.getvalue(), content_type="image/png")
    answer = owner_client.post(
        "/generate/", {"prompt": "", "model": "tiny", "init_image": source.pk, "mask": sent}
    )
    assert answer.status_code == 200  # no prompt: the form again
    pages["body"] = answer.content
    with chromium() as browser:
        page = new_page(browser, url)
        page.goto("/generate/")
        ready = "document.querySelector('[data-mask-painter]').dataset.maskReady === 'true'"
        page.wait_for_function(ready)
        painted = mask_file(page)
    assert painted.shape == (48, 64)
    assert painted[20, 20] == 255 and painted[40, 50] == 0 and painted[5, 5] == 0


def test_a_finger_paints_the_mask_too(inpaint_page):
    url, source, _, _ = inpaint_page
    with chromium() as browser:
        page = new_page(browser, url, has_touch=True)
        page.goto(f"/generate/?inpaint={source.pk}")
        canvas = page.locator(".mask-canvas")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        y = box["y"] + box["height"] / 2
        touch = page.context.new_cdp_session(page)  # real touch input: pointerType "touch"
        for kind, x in (("touchStart", 0.3), ("touchMove", 0.5), ("touchMove", 0.7)):
            point = {"x": box["x"] + box["width"] * x, "y": y}
            touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [point]})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_function(
            "document.querySelector('[data-mask-painter]').dataset.maskReady === 'true'"
        )
        painted = mask_file(page)
    assert painted[24, 32] == 255 and painted[2, 2] == 0
