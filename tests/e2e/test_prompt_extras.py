"""The LoRA / embedding picker beside the prompt: choosing one puts its tag at
the cursor of the prompt. The real Generate page (rendered by Django for a
signed-in person, with a LoRA and an embedding in the models folder) and the
real static files, served by a plain HTTP server to Chromium.

The page is rendered from the test database, so this module runs among the
database tests, before the session's shared browser starts: it drives a
browser of its own, closed before the test's database is torn down (a running
Playwright keeps an asyncio loop in this thread, where Django then refuses
synchronous database calls)."""

import http.server
import threading
from functools import partial

import numpy
import pytest

from tests.e2e.browser import REPO, chromium, new_page

LOCAL_ENGINE = "needs the local engine (torch, diffusers): pip install -e '.[local]'"
save_file = pytest.importorskip("safetensors.numpy", reason=LOCAL_ENGINE).save_file

pytestmark = pytest.mark.e2e


@pytest.fixture
def generate_page(owner_client, tiny_settings, settings, tmp_path):
    settings.ATELIER_MODELS_DIR = tmp_path / "models"
    for path in ("Lora/ink.safetensors", "embeddings/shinystyle.safetensors"):
        (tmp_path / "models" / path).parent.mkdir(parents=True, exist_ok=True)
        save_file({"a": numpy.zeros(2, dtype=numpy.float32)}, str(tmp_path / "models" / path))
    body = owner_client.get("/generate/").content

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path == "/generate/":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path.startswith("/static/"):
                self.path = self.path[len("/static") :]
                super().do_GET()
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Handler, directory=str(REPO / "static"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_choosing_a_lora_or_embedding_inserts_it_at_the_cursor(generate_page):
    with chromium() as browser:
        page = new_page(browser, generate_page)
        page.goto("/generate/")
        choose_and_check(page)


def choose_and_check(page) -> None:
    prompt = page.locator("#id_prompt")
    prompt.fill("a cat in the rain")
    prompt.evaluate("el => el.setSelectionRange(5, 5)")  # after "a cat"

    page.select_option("select[data-prompt-insert]", label="ink")
    assert prompt.input_value() == "a cat <lora:ink:1> in the rain"
    assert page.locator("select[data-prompt-insert]").input_value() == ""  # back to its label

    page.select_option("select[data-prompt-insert]", label="shinystyle")
    assert prompt.input_value() == "a cat <lora:ink:1> shinystyle in the rain"
    counter = page.locator("#prompt-counter")
    assert counter.inner_text().startswith(str(len("a cat <lora:ink:1> shinystyle in the rain")))
