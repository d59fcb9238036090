"""Shared fixtures: the repository, the Stanza models, and scratch copies of the real corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _resources_dir() -> Path:
    env = os.environ.get("STANZA_RESOURCES_DIR")
    return Path(env) if env else REPO.parent / "shared" / "stanza_resources"


@pytest.fixture(scope="session")
def stanza_resources() -> Path:
    """The Stanza models folder. Skips only outside CI when it is absent; fails under CI."""
    path = _resources_dir()
    if not (path / "resources.json").exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI=true but no Stanza models at {path}: set STANZA_RESOURCES_DIR")
        pytest.skip(f"no Stanza models at {path} (set STANZA_RESOURCES_DIR)")
    return path


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A scratch copy of the repository's data (corpus, annotations, card source)."""
    from release_helpers import copy_repo_data

    return copy_repo_data(tmp_path / "repo").root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes (lock files aside: empty and expected), to
    assert that nothing changed."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(".lock")
    }
