import pytest
from django.core.management import call_command

pytestmark = pytest.mark.local_engine


def test_it_builds_a_loadable_pipeline_once(tmp_path, capsys):
    target = tmp_path / "tiny"
    call_command("build_tiny_model", path=str(target))
    assert (target / "model_index.json").exists()
    call_command("build_tiny_model", path=str(target))
    assert "already" in capsys.readouterr().out
