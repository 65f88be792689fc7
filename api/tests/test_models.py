import pytest
from rest_framework.test import APIClient


@pytest.mark.local_engine
def test_it_lists_the_presets_a_generation_may_use(db, settings):
    settings.ATELIER_DEFAULT_MODEL = "tiny"
    models = APIClient().get("/api/v1/models/").json()
    keys = [m["key"] for m in models]
    assert keys[0] == "tiny" and models[0]["default"] is True
    assert {"sdxl-base", "sd-turbo", "sdxl-turbo"} <= set(keys)
    sdxl = next(m for m in models if m["key"] == "sdxl-base")
    assert (sdxl["width"], sdxl["height"], sdxl["steps"], sdxl["cfg_scale"]) == (
        1024,
        1024,
        30,
        7.5,
    )


def test_presets_of_unconfigured_engines_are_hidden(db, settings):
    settings.ATELIER_ENGINES = {**settings.ATELIER_ENGINES, "openai": {"api_key": ""}}
    keys = {m["key"] for m in APIClient().get("/api/v1/models/").json()}
    assert "dall-e-3" not in keys and "a1111-sdxl" not in keys


def test_a_configured_engine_shows_its_presets(db, settings):
    settings.ATELIER_ENGINES = {**settings.ATELIER_ENGINES, "openai": {"api_key": "sk-test"}}
    keys = {m["key"] for m in APIClient().get("/api/v1/models/").json()}
    assert {"dall-e-3", "gpt-image-1"} <= keys


def test_a_disabled_preset_is_hidden(db):
    from studio.models import ModelPreset

    ModelPreset.objects.filter(key="sd-turbo").update(enabled=False)
    keys = {m["key"] for m in APIClient().get("/api/v1/models/").json()}
    assert "sd-turbo" not in keys


def test_each_model_says_where_it_stands(db, tiny_settings, owner):
    from studio.models import GenerationJob

    GenerationJob.objects.create(owner=owner, model="tiny", request={"prompt": "p"})
    models = {m["key"]: m for m in APIClient().get("/api/v1/models/").json()}

    tiny = models["tiny"]
    assert (tiny["status"], tiny["usable"], tiny["error"]) == ("installed", True, "")
    assert tiny["size_on_disk"] > 0 and tiny["last_used"] is not None
    turbo = models["sd-turbo"]
    assert turbo["status"] == "not_installed" and turbo["size_on_disk"] is None
    assert turbo["download_size"] > 1_000_000_000 and turbo["last_used"] is None
    assert str(tiny_settings.ATELIER_TINY_MODEL_PATH) not in str(models)  # no server path


@pytest.mark.parametrize("who", ["visitor", "owner", "other", "staff"])
def test_only_staff_see_disabled_models(db, who, owner, other, staff):
    from studio.models import ModelPreset
    from tests.fixtures import api_for

    ModelPreset.objects.filter(key="sd-turbo").update(enabled=False)
    client = {"visitor": APIClient(), "owner": None, "other": None, "staff": None}[who]
    client = client or api_for({"owner": owner, "other": other, "staff": staff}[who])
    response = client.get("/api/v1/models/")

    assert response.status_code == 200
    models = {m["key"]: m for m in response.json()}
    if who == "staff":
        assert models["sd-turbo"]["enabled"] is False and models["sd-turbo"]["usable"] is False
    else:
        assert "sd-turbo" not in models
    assert all(m["enabled"] for k, m in models.items() if k != "sd-turbo")
