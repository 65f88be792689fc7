"""The LoRA / embedding picker beside the prompt: choosing one puts its tag at
the cursor of the prompt. The real Generate page (rendered by Django for a
signed-in person, with a LoRA and an embedding in the models folder) and the
real static files, served by a plain HTTP server to Chromium."""

import http.server
import threading
from functools import partial

import pytest
from safetensors.torch import save_file
from torch import zeros

from tests.e2e.browser import REPO

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def sync_database_beside_the_browser():
    """Chromium's driver keeps an asyncio loop running in this thread once the
    session's browser is up; this module's database calls are plain sync ones
    (set up and torn down around each test, before the page is driven)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
        yield


@pytest.fixture
def generate_page(owner_client, tiny_settings, settings, tmp_path):
    settings.ATELIER_MODELS_DIR = tmp_path / "models"
    for path in ("Lora/ink.safetensors", "embeddings/shinystyle.safetensors"):
        (tmp_path / "models" / path).parent.mkdir(parents=True, exist_ok=True)
        save_file({"a": zeros(2)}, tmp_path / "models" / path)
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


def test_choosing_a_lora_or_embedding_inserts_it_at_the_cursor(generate_page, open_page):
    from tests.e2e.browser import require_chromium

    require_chromium()
    page = open_page(generate_page)
    page.goto("/generate/")
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
