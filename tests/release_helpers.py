"""Shared by the release tests: a throw-away copy of the repository's data, built for real.

The copy holds the repository's own corpus/, annotations/ and card sources; its silver
files are up to date, so a build runs no Stanza (under a second for the five articles)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from polner.build import build_dataset
from polner.layout import Layout

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_PATHS = ("corpus", "annotations", "DATASET_CARD.md", "LICENSE-DATA.md")


def copy_repo_data(destination: Path) -> Layout:
    """A copy of the repository's inputs (no hidden files) as a new repository root."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in DATA_PATHS:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns(".*"))
        elif source.is_file():
            shutil.copy2(source, destination / name)
    return Layout(destination)


def build(layout: Layout, output_root: Path) -> Path:
    """Build the dataset (no progress bar); the dataset folder."""
    return build_dataset(layout, output_root, progress=False).output


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), "-c", "user.name=polner tests",
                           "-c", "user.email=tests@polner.invalid", "-c", "commit.gpgsign=false", *args],
                          capture_output=True, text=True, check=True)
    return done.stdout


def commit_all(root: Path, message: str = "data") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def init_git_repo(root: Path) -> None:
    """Make `root` a git repository with everything committed, ignoring what the repository's
    own .gitignore ignores (dist/, lock files)."""
    shutil.copy2(REPO_ROOT / ".gitignore", root / ".gitignore")
    git(root, "init", "-q")
    commit_all(root, "initial")
