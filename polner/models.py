"""Finding and loading Stanza models: Stanza's usual resources, or a folder given by
`STANZA_RESOURCES_DIR` / `--stanza-dir`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from polner.issues import PolnerError


def resolve_resources_dir(option: str | Path | None = None) -> Path:
    """The Stanza resources folder: the CLI option, else STANZA_RESOURCES_DIR, else Stanza's default."""
    if option:
        return Path(option)
    if os.environ.get("STANZA_RESOURCES_DIR"):
        return Path(os.environ["STANZA_RESOURCES_DIR"])
    from stanza.resources.common import DEFAULT_MODEL_DIR

    return Path(DEFAULT_MODEL_DIR)


def _models_present(resources_dir: Path, language: str) -> bool:
    """Whether resources.json is there and names a model file for each default processor."""
    try:
        resources = json.loads((resources_dir / "resources.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    entry = resources.get(language, {})
    if "alias" in entry:  # "french" → "fr": the models are in the folder of the real code
        language = entry["alias"]
        entry = resources.get(language, {})
    default = entry.get("packages", {}).get("default") or entry.get("default_processors") or {}
    return bool(default) and all(
        (resources_dir / language / processor / f"{package}.pt").exists()
        for processor, package in default.items()
    )


def load_pipeline(language: str, resources_dir: Path, processors: str):
    """A Stanza pipeline. Models already in `resources_dir` are used as they are; otherwise
    Stanza downloads them there (this needs internet)."""
    try:
        import stanza
    except ImportError:
        raise PolnerError("stanza is not installed: pip install stanza") from None
    download = None if _models_present(resources_dir, language) else stanza.DownloadMethod.REUSE_RESOURCES
    try:
        return stanza.Pipeline(
            language, dir=str(resources_dir), processors=processors, download_method=download,
            logging_level="WARN",
        )
    except Exception as exc:  # stanza raises many kinds here: network, missing files, bad models
        hint = (
            "point STANZA_RESOURCES_DIR or --stanza-dir at a folder of Stanza models"
            if download is not None
            else "the model files may be damaged; check them against resources.json"
        )
        raise PolnerError(
            f"could not load the Stanza {language} models from {resources_dir}: "
            f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]} (hint: {hint})"
        ) from None
