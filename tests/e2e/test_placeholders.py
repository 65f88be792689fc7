"""The thumbhash placeholder a browser paints behind a loading image is the
one the hash describes: static/js/placeholders.js decodes it with the
format author's decoder (static/vendor/thumbhash), the only decoder the app
has. Served from the static folder by a plain HTTP server; the image itself
never arrives, so the placeholder stays."""

import base64
import http.server
import io
import threading
from functools import partial

import pytest
from PIL import Image

from imaging.tests.sample_images import photo_like
from imaging.tests.thumbhash_decoder import thumbhash_to_image
from imaging.thumbhash import image_to_thumbhash
from tests.e2e.browser import REPO

pytestmark = pytest.mark.e2e

PAGE = """<!doctype html><html><head>
<script type="module" src="/js/placeholders.js"></script></head><body>
<img id="first" src="/never.png" width="320" height="240" data-thumbhash="{hash}">
<div id="later"></div></body></html>"""


@pytest.fixture
def static_server():
    class Handler(http.server.SimpleHTTPRequestHandler):
        pages: dict[str, str] = {}

        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path in self.pages:
                body = self.pages[self.path].encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Handler, directory=str(REPO / "static"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Handler.pages, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def painted_placeholder(page, selector: str) -> Image.Image:
    page.wait_for_function(
        "s => (document.querySelector(s).style.backgroundImage || '').includes('data:image/png')",
        arg=selector,
    )
    style = page.locator(selector).evaluate("img => img.style.backgroundImage")
    data = style.split("base64,", 1)[1].split('"', 1)[0]
    return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA")


def test_the_browser_paints_the_reference_decoding_of_the_hash(static_server, open_page):
    pages, url = static_server
    thumbhash = image_to_thumbhash(photo_like(300, 200))
    pages["/page.html"] = PAGE.format(hash=thumbhash)
    page = open_page(url)
    page.route("**/never.png", lambda route: None)  # the image never loads
    page.goto("/page.html", wait_until="domcontentloaded")

    painted = painted_placeholder(page, "#first")

    expected = thumbhash_to_image(thumbhash)
    assert painted.size == expected.size
    assert painted.tobytes() == expected.tobytes()
    assert page.locator("#first").get_attribute("class") == "is-loading"


def test_images_swapped_in_by_htmx_get_a_placeholder_too(static_server, open_page):
    pages, url = static_server
    thumbhash = image_to_thumbhash(photo_like(200, 300))
    pages["/page.html"] = PAGE.format(hash=thumbhash)
    page = open_page(url)
    page.route("**/never.png", lambda route: None)
    page.goto("/page.html", wait_until="domcontentloaded")
    painted_placeholder(page, "#first")

    page.evaluate(
        """hash => {
            const later = document.getElementById("later");
            later.innerHTML = `<img id="second" src="/never.png" data-thumbhash="${hash}">`;
            document.dispatchEvent(new CustomEvent("htmx:load", {detail: {elt: later}}));
        }""",
        thumbhash,
    )

    assert painted_placeholder(page, "#second").tobytes() == thumbhash_to_image(thumbhash).tobytes()
