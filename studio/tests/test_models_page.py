"""The Models page as people use it: everyone sees the models they may use
and where each stands; staff download a hub model with its progress on the
page, cancel the download, delete the files and turn models off. Hub models
come from a local server speaking the hub's file API, into a temporary HF_HOME."""

import re
import time

import pytest

from studio import model_checks
from studio.backends.model_download import CachedRepo
from studio.backends.tests.fake_hub import TINY_REPO, FakeHub, point_huggingface_hub_at
from studio.models import ModelPreset

REPO_ID = TINY_REPO  # served by the `hub` fixture (studio/tests/conftest.py)
UNET = "unet/diffusion_pytorch_model.safetensors"
WAIT = 30  # seconds a download may take, at most


@pytest.fixture(autouse=True)
def no_downloads_from_other_tests():
    model_checks._downloads.clear()
    yield
    for download in list(model_checks._downloads.values()):
        download.cancel()
        if download.thread:
            download.thread.join(WAIT)
    model_checks._downloads.clear()


@pytest.fixture
def slow_hub(tiny_model_path, tmp_path, monkeypatch):
    """The hub, sending 2 MB a second: the 8.6 MB download takes about 4 s."""
    with FakeHub(bytes_per_second=2_000_000) as hub:
        hub.add_folder(REPO_ID, tiny_model_path)
        point_huggingface_hub_at(monkeypatch, hub.url, tmp_path / "hf-home")
        yield hub


@pytest.fixture
def hub_preset(db):
    return ModelPreset.objects.create(
        key="tiny-hub",
        label="Tiny from the hub",
        backend="diffusers",
        model_id=REPO_ID,
        width=64,
        height=64,
        steps=4,
        position=1,
    )


def row(page_text: str, key: str) -> str:
    match = re.search(
        rf'<li class="list-group-item model-row[^"]*" id="model-{key}".*?</li>', page_text, re.S
    )
    assert match, f"no row for {key}"
    return match.group(0)


def wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_staff_download_a_model_and_see_its_progress_then_cancel_it(
    staff_client, slow_hub, hub_preset
):
    before = row(staff_client.get("/models/").text, "tiny-hub")
    assert "not installed" in before and "Download" in before

    response = staff_client.post("/models/tiny-hub/download/", follow=True)
    assert "Downloading &#x27;atelier-tests/tiny-sd&#x27; in the background" in response.text

    def progress_shown():
        """The bytes so far, then (once a second's worth is measured) the speed
        and the time left at that speed."""
        text = row(staff_client.get("/models/list/").text, "tiny-hub")
        speed = re.search(r"(\d+\.\d) / 8\.6 MB · \d+\.\d [kM]B/s · about \d+ (s|min) left", text)
        return text if speed and float(speed.group(1)) > 0 else None

    shown = wait_for(progress_shown, "the download's progress and speed on the page")
    assert 'data-state="downloading"' in shown
    assert "Cancel download" in shown and 'role="progressbar"' in shown

    response = staff_client.post("/models/tiny-hub/cancel/", follow=True)
    assert "The download of Tiny from the hub stops; what came is kept." in response.text
    download = model_checks.last_download(REPO_ID)
    download.thread.join(WAIT)

    after = row(staff_client.get("/models/").text, "tiny-hub")
    assert 'data-state="failed"' in after
    assert "The download was cancelled. What was downloaded is kept" in after
    assert CachedRepo(REPO_ID).complete("main", fp16=False) is None
    assert slow_hub.bytes_served(UNET) < 8_000_000  # it stopped early


def test_a_finished_download_is_installed_and_its_files_can_be_deleted(
    staff_client, hub, hub_preset
):
    staff_client.post("/models/tiny-hub/download/")
    model_checks.last_download(REPO_ID).thread.join(WAIT)

    installed = row(staff_client.get("/models/").text, "tiny-hub")
    assert 'data-state="installed"' in installed
    assert "8.6 MB" in installed and "Delete files" in installed

    response = staff_client.post("/models/tiny-hub/delete/", follow=True)
    assert "Tiny from the hub&#x27;s files are deleted" in response.text
    assert 'data-state="not_installed"' in row(response.text, "tiny-hub")
    assert not CachedRepo(REPO_ID).folder.exists()


def test_staff_disable_and_enable_a_model(staff_client, owner_client, hub, hub_preset):
    staff_client.post("/models/tiny-hub/enable/", {"enabled": "0"})
    assert not ModelPreset.objects.get(key="tiny-hub").enabled
    assert 'id="model-tiny-hub"' not in owner_client.get("/models/").text
    assert "disabled" in row(staff_client.get("/models/").text, "tiny-hub")

    staff_client.post("/models/tiny-hub/enable/", {"enabled": "1"})
    assert ModelPreset.objects.get(key="tiny-hub").enabled
    assert 'id="model-tiny-hub"' in owner_client.get("/models/").text


def test_people_see_the_models_they_may_use_but_cannot_manage_them(
    owner_client, hub, hub_preset, tiny_settings
):
    page = owner_client.get("/models/")
    assert page.status_code == 200
    assert 'data-state="installed"' in row(page.text, "tiny")
    hub_row = row(page.text, "tiny-hub")
    assert "not installed" in hub_row and "It is downloaded on first use" in hub_row
    assert "Download" not in re.sub(r"<dt>Download</dt>", "", hub_row)  # no button
    assert "Disable" not in page.text and "hf-home" not in page.text  # no server path

    for action in ("download", "cancel", "delete", "enable"):
        assert owner_client.post(f"/models/tiny-hub/{action}/").status_code == 403
    assert hub.served(method="GET") == []  # nothing downloaded (only the reachability check)


def test_visitors_are_sent_to_log_in(client, db):
    response = client.get("/models/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_navbar_links_to_the_models_page(owner_client):
    assert 'href="/models/"' in owner_client.get("/generate/").text


def test_a_download_by_a_job_shows_on_the_page(staff_client, owner, hub, hub_preset):
    from studio.model_status import remember_download_size
    from studio.tests.test_job_page import make_job

    remember_download_size(REPO_ID, False, 8_600_000)
    make_job(owner, status="running", phase="downloading", progress=0.5).__class__.objects.update(
        model="tiny-hub"
    )

    shown = row(staff_client.get("/models/").text, "tiny-hub")
    assert 'data-state="downloading"' in shown and "4.3 / 8.6 MB" in shown
    assert "Downloading for a generation" in shown and "Cancel download" not in shown


def test_an_action_from_the_page_answers_htmx_with_the_list_and_its_outcome(
    staff_client, hub, hub_preset
):
    response = staff_client.post(
        "/models/tiny-hub/enable/", {"enabled": "0"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="models-list"' in response.text and "disabled" in row(response.text, "tiny-hub")
    assert 'hx-swap-oob="true"' in response.text
    assert "Tiny from the hub is disabled: it is no longer offered." in response.text
