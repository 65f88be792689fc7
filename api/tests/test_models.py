from rest_framework.test import APIClient


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
