import json
from pathlib import Path

from polner.models import _models_present, resolve_resources_dir


def test_resources_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(tmp_path / "env"))
    assert resolve_resources_dir(tmp_path / "option") == tmp_path / "option"
    assert resolve_resources_dir(None) == tmp_path / "env"
    monkeypatch.delenv("STANZA_RESOURCES_DIR")
    from stanza.resources.common import DEFAULT_MODEL_DIR

    assert resolve_resources_dir(None) == Path(DEFAULT_MODEL_DIR)


def test_models_present_needs_resources_json_and_every_default_model(tmp_path):
    assert not _models_present(tmp_path, "fr")
    (tmp_path / "resources.json").write_text(json.dumps(
        {"fr": {"packages": {"default": {"tokenize": "x", "ner": "y"}}}, "french": {"alias": "fr"}}))
    (tmp_path / "fr" / "tokenize").mkdir(parents=True)
    (tmp_path / "fr" / "tokenize" / "x.pt").write_bytes(b"")
    assert not _models_present(tmp_path, "fr")  # ner model missing: Stanza would download it
    (tmp_path / "fr" / "ner").mkdir()
    (tmp_path / "fr" / "ner" / "y.pt").write_bytes(b"")
    assert _models_present(tmp_path, "fr")
    assert _models_present(tmp_path, "french")


def test_the_shared_models_are_complete(stanza_resources):
    assert _models_present(stanza_resources, "fr")
