"""The model presets' admin actions, through the admin as a superuser uses it:
"Test connection" asks each preset's engine (downloading nothing) and "Download
the model now" fetches a hub model in the background. Hub models come from a
local server speaking the hub's file API, into a temporary HF_HOME."""

import pytest
from django.core.management import CommandError, call_command

from studio.backends.model_download import CachedRepo, fetch_model
from studio.backends.tests.fake_hub import TINY_REPO, FakeHub, point_huggingface_hub_at
from studio.model_checks import last_download
from studio.models import ModelPreset

CHANGELIST = "/admin/studio/modelpreset/"
REPO_ID = TINY_REPO  # served by the `hub` fixture (studio/tests/conftest.py)
UNET = "unet/diffusion_pytorch_model.safetensors"
WAIT = 30  # seconds a background download may take, at most
SD_MODELS = [
    {
        "title": "sd_xl_base_1.0.safetensors [31e35c80fc]",
        "model_name": "sd_xl_base_1.0",
        "hash": "31e35c80fc",
        "sha256": "31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b",
        "filename": "/srv/webui/models/Stable-diffusion/sd_xl_base_1.0.safetensors",
        "config": None,
    }
]


@pytest.fixture
def hub_preset(db):
    return ModelPreset.objects.create(
        key="tiny-hub",
        label="Tiny, from the hub",
        backend="diffusers",
        model_id=REPO_ID,
        width=64,
        height=64,
        steps=4,
    )


def run_action(client, action, *presets):
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [preset.pk for preset in presets]},
        follow=True,
    )
    assert response.status_code == 200
    return response, [(m.level_tag, str(m)) for m in response.context["messages"]]


def preset(key):
    return ModelPreset.objects.get(key=key)


def finish_background_download():
    download = last_download(REPO_ID)
    download.thread.join(WAIT)
    assert download.outcome is not None and download.outcome.ok, download.outcome
    return download


# Test connection ---------------------------------------------------------------


def test_a_hub_model_is_reachable_and_its_size_is_shown(admin_client, hub, hub_preset):
    _, shown = run_action(admin_client, "test_connection", hub_preset)

    assert shown == [
        (
            "success",
            "tiny-hub: Reachable on the Hugging Face hub: 8.6 MB to download on first use "
            "(or now, with “Download the model now”).",
        )
    ]
    assert hub.bytes_served(UNET) == 0  # nothing downloaded


def test_a_downloaded_model_is_said_to_be_in_the_cache(admin_client, hub, hub_preset):
    fetch_model(REPO_ID, fp16=False)
    fetch_model(REPO_ID, fp16=True)  # the same files: the tiny repo has no fp16 weights

    _, shown = run_action(admin_client, "test_connection", hub_preset)

    assert shown == [("success", "tiny-hub: Downloaded: 8.6 MB in the Hugging Face cache.")]


def test_a_gated_model_says_what_to_do_and_never_shows_the_token(
    admin_client, tiny_model_path, tmp_path, monkeypatch, hub_preset
):
    token = "hf_notGrantedForThisModel123456"
    with FakeHub() as hub:
        hub.add_folder(REPO_ID, tiny_model_path, gated=True, tokens=["hf_someoneElse12345678"])
        point_huggingface_hub_at(monkeypatch, hub.url, tmp_path / "hf-home")
        monkeypatch.setenv("HF_TOKEN", token)

        response, shown = run_action(admin_client, "test_connection", hub_preset)

    assert shown == [
        (
            "error",
            f"tiny-hub: Model '{REPO_ID}' is gated on the Hugging Face hub. Accept its licence "
            f"at https://huggingface.co/{REPO_ID} and set HF_TOKEN to a token of that account.",
        )
    ]
    assert token not in response.text


def test_a_missing_hub_model_is_an_error(admin_client, hub, hub_preset):
    hub_preset.model_id = "atelier-tests/no-such-model"
    hub_preset.save()

    _, shown = run_action(admin_client, "test_connection", hub_preset)

    ((level, message),) = shown
    assert level == "error"
    assert "was not found on the Hugging Face hub" in message


def test_the_tiny_preset_says_whether_it_is_built(admin_client, tiny_settings, tmp_path):
    built = tiny_settings.ATELIER_TINY_MODEL_PATH
    _, shown = run_action(admin_client, "test_connection", preset("tiny"))
    assert shown == [("success", f"tiny: The tiny test model is built at {built}.")]

    tiny_settings.ATELIER_TINY_MODEL_PATH = tmp_path / "not-built"
    _, shown = run_action(admin_client, "test_connection", preset("tiny"))
    assert shown == [
        (
            "error",
            "tiny: The tiny test model is not built on this machine yet: run "
            "`python manage.py build_tiny_model`.",
        )
    ]


def test_a_remote_engine_is_asked_for_its_models(admin_client, settings, httpserver):
    httpserver.expect_request("/sdapi/v1/sd-models").respond_with_json(SD_MODELS)
    settings.ATELIER_ENGINES = {
        **settings.ATELIER_ENGINES,
        "a1111": {"url": httpserver.url_for("/").rstrip("/"), "timeout": 5},
    }
    sd15 = preset("a1111-sd15")

    _, shown = run_action(admin_client, "test_connection", preset("a1111-sdxl"), sd15)

    assert sorted(shown) == [
        (
            "error",
            "a1111-sd15: The a1111 engine answered but does not list "
            "'v1-5-pruned-emaonly.safetensors' (it has: sd_xl_base_1.0.safetensors "
            "[31e35c80fc]). Fix the preset's model id, or add the model to the engine.",
        ),
        ("success", "a1111-sdxl: The a1111 engine lists 'sd_xl_base_1.0.safetensors'."),
    ]


def test_a_refusing_engine_is_an_error_without_its_password(admin_client, settings, httpserver):
    password = "s3cret-engine-pass"
    httpserver.expect_request("/sdapi/v1/sd-models").respond_with_json(
        {"detail": "Incorrect username or password"}, status=401
    )
    settings.ATELIER_ENGINES = {
        **settings.ATELIER_ENGINES,
        "a1111": {
            "url": httpserver.url_for("/").rstrip("/"),
            "username": "atelier",
            "password": password,
            "timeout": 5,
        },
    }

    response, shown = run_action(admin_client, "test_connection", preset("a1111-sdxl"))

    ((level, message),) = shown
    assert level == "error" and message.startswith("a1111-sdxl: ")
    assert password not in response.text


def test_an_engine_that_is_not_set_up_says_what_to_set(admin_client, settings):
    settings.ATELIER_ENGINES = {
        **settings.ATELIER_ENGINES,
        "openai": {**settings.ATELIER_ENGINES["openai"], "api_key": ""},
    }

    _, shown = run_action(admin_client, "test_connection", preset("dall-e-3"))

    assert shown == [
        ("error", "dall-e-3: The openai engine is not set up here: set OPENAI_API_KEY.")
    ]


# Download the model now ----------------------------------------------------------


def test_a_hub_model_downloads_in_the_background(admin_client, hub, hub_preset, tiny_model_path):
    _, shown = run_action(admin_client, "download_now", hub_preset)

    assert shown == [
        (
            "success",
            f"tiny-hub: Downloading '{REPO_ID}' in the background into the Hugging Face cache. "
            "“Test connection” shows how far it is.",
        )
    ]
    finish_background_download()
    assert CachedRepo(REPO_ID).complete("main", fp16=False) is not None
    assert hub.bytes_served(UNET) == (tiny_model_path / UNET).stat().st_size

    _, shown = run_action(admin_client, "download_now", hub_preset)
    assert shown == [("success", f"tiny-hub: '{REPO_ID}' is already downloaded.")]


def test_a_download_under_way_is_shown_and_never_started_twice(admin_client, hub, hub_preset):
    hold = hub.hold(UNET, after=1_000_000)
    run_action(admin_client, "download_now", hub_preset)
    assert hold.holding.wait(WAIT)

    _, again = run_action(admin_client, "download_now", hub_preset)
    _, tested = run_action(admin_client, "test_connection", hub_preset)
    hub.release(UNET)
    finish_background_download()

    ((level, message),) = again
    assert level == "success"
    assert message.startswith(f"tiny-hub: '{REPO_ID}' is already downloading: ")
    assert message.endswith(" / 8.6 MB.")
    ((level, message),) = tested
    assert level == "success" and message.startswith("tiny-hub: Downloading in the background: ")
    assert len(hub.served(UNET, "GET")) == 1  # one download


def test_there_is_nothing_to_download_for_other_models(admin_client, tiny_settings):
    _, shown = run_action(admin_client, "download_now", preset("a1111-sdxl"), preset("tiny"))

    assert sorted(shown) == [
        ("success", "a1111-sdxl: Nothing to download: the a1111 engine keeps its own models."),
        (
            "success",
            "tiny: Nothing to download: the tiny model is built on this machine "
            "(`python manage.py build_tiny_model`).",
        ),
    ]


def test_people_who_are_not_staff_cannot_run_the_actions(owner_client, hub, hub_preset):
    response = owner_client.post(
        CHANGELIST, {"action": "download_now", "_selected_action": [hub_preset.pk]}
    )

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert hub.log == []


# The prefetch_model command --------------------------------------------------------


def test_the_prefetch_command_downloads_with_progress(hub, hub_preset, capsys):
    call_command("prefetch_model", "tiny-hub")

    out = capsys.readouterr().out
    assert "tiny-hub: Downloading model — 0.0 / 8.6 MB" in out
    assert "tiny-hub: Downloading model — 8.6 / 8.6 MB" in out
    assert f"tiny-hub: '{REPO_ID}' is downloaded: 8.6 MB in " in out


def test_the_prefetch_command_fails_for_an_unknown_preset(db, capsys):
    with pytest.raises(CommandError, match="Not downloaded: no-such-preset."):
        call_command("prefetch_model", "no-such-preset")

    assert "no-such-preset: there is no such preset." in capsys.readouterr().err
