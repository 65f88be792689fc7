"""Every remote engine takes its settings the same way (studio/backends/remote.py):
the registry builds it from its entry of settings.ATELIER_ENGINES, it counts as
configured only with its one required setting, and ATELIER_ENGINE_MAX_RETRY_SECONDS
bounds how long any of them waits for a busy engine."""

import pytest
from django.conf import settings

from studio.backends import engine_module, is_configured

REQUIRED = {"huggingface": "token", "openai": "api_key", "a1111": "url", "comfyui": "url"}


@pytest.mark.parametrize("name", REQUIRED)
def test_the_registry_builds_each_engine_from_its_settings_entry(name):
    config = {
        **settings.ATELIER_ENGINES[name],
        REQUIRED[name]: "http://engine.test:1234",
        "max_retry_seconds": 42,
        "timeout": 17,
        "connect_timeout": 3,
    }
    engine = engine_module(name).create_backend(config)
    assert engine.name == name
    assert engine.policy.max_total == 42
    assert (engine.timeout.read, engine.timeout.connect) == (17, 3)


@pytest.mark.parametrize("name", REQUIRED)
def test_every_engine_waits_as_long_as_the_one_setting_says(name):
    assert settings.ATELIER_ENGINES[name]["max_retry_seconds"] == (
        settings.ATELIER_ENGINE_MAX_RETRY_SECONDS
    )


@pytest.mark.parametrize("name", REQUIRED)
def test_an_engine_counts_as_configured_only_with_its_required_setting(name):
    assert is_configured(name, {REQUIRED[name]: "set"})
    assert not is_configured(name, {REQUIRED[name]: ""})
    assert not is_configured(name, {})
