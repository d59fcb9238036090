"""Concurrency and interruption: two builds at once, or a build killed (SIGKILL) at any point,
never leave a partial dist/ or a half-written silver file, and the next build gives exactly the
files of an uninterrupted one."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import polner.runners
from minicorpus import (MACRON, POUTINE, REPO_ROOT, ReplayAnnotator, copy_mini, run_cli, silver_path)

from conftest import snapshot
from polner.fileio import atomic_write_text

RUNNER = Path(__file__).with_name("build_runner.py")
KILL_POINTS = int(os.environ.get("POLNER_KILL_POINTS", "0"))  # 0: every step; N: a random sample of N
MACRON_SILVER = f"annotations/fr/silver/{MACRON}.conllu"


def runner(root: Path, output: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(RUNNER), str(root), str(output), *args], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


def part(files: dict[str, bytes], prefix: str) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k.startswith(prefix)}


@pytest.fixture(scope="module")
def states(tmp_path_factory):
    """`changed`: a corpus with dist/ built (A), then a new correction and a silver file to
    regenerate; `reference`: every file after an uninterrupted build of it, and its step count."""
    base = tmp_path_factory.mktemp("concurrency")
    changed = copy_mini(base / "changed")
    assert run_cli(changed, "build", "--output", str(changed / "dist"), "--quiet").code == 0
    assert run_cli(changed, "correct", POUTINE, "--sentence", "4", "--text", "Poutine", "--relabel", "PER").code == 0
    silver_path(changed, MACRON).unlink()
    reference = base / "reference"
    shutil.copytree(changed, reference)
    count_file = base / "steps"
    code, output = finish(runner(reference, reference / "dist", "--count-file", str(count_file)))
    assert code == 0, output
    assert "(1 re-annotated)" in output
    expected = snapshot(reference)
    assert part(expected, "dist/polner/") != part(snapshot(changed), "dist/polner/")  # the build changed dist
    return changed, expected, int(count_file.read_text())


def copy_state(changed: Path, destination: Path) -> Path:
    shutil.copytree(changed, destination)
    return destination


def check_never_partial(root: Path, changed: dict[str, bytes], expected: dict[str, bytes]) -> None:
    """After a kill: dist/polner is the old build or the new one, whole; the regenerated silver
    file is absent or complete; nothing else visible changed."""
    now = snapshot(root)
    dist = part(now, "dist/polner/")
    assert dist in (part(changed, "dist/polner/"), part(expected, "dist/polner/"))
    assert now.get(MACRON_SILVER) in (None, expected[MACRON_SILVER])
    visible = {k: v for k, v in now.items() if not Path(k).name.startswith(".") and not k.startswith("dist/")}
    assert {k: v for k, v in visible.items() if k != MACRON_SILVER} == {
        k: v for k, v in changed.items() if not k.startswith("dist/")}


def rebuild_in_process(root: Path, monkeypatch) -> None:
    monkeypatch.setattr(polner.runners, "StanzaAnnotator", ReplayAnnotator)
    result = run_cli(root, "build", "--output", str(root / "dist"), "--quiet", "--stanza-dir", str(root / "none"))
    assert result.code == 0, result.output


def test_killed_builds_recover_to_the_uninterrupted_result(states, tmp_path, monkeypatch):
    """Killed just before each of its file-system steps in turn (or a random sample of them
    when POLNER_KILL_POINTS is set), a build never leaves partial files, and the next build
    gives exactly the files of an uninterrupted one."""
    changed_root, expected, steps = states
    changed = snapshot(changed_root)
    assert steps >= 15  # the runner really counts the build's file-system steps
    points = list(range(1, steps + 1))
    if KILL_POINTS and KILL_POINTS < steps:
        points = sorted(random.Random(steps).sample(points, KILL_POINTS))
    for point in points:
        copy_state(changed_root, tmp_path / f"kill-{point}")
    code, output = finish(runner(tmp_path, Path("-"), "--kill-each", ",".join(map(str, points))))
    assert code == 0, output
    statuses = {int(k): v for k, v in json.loads(output.splitlines()[-1]).items()}
    assert statuses == {point: -signal.SIGKILL for point in points}, output
    for point in points:
        root = tmp_path / f"kill-{point}"
        check_never_partial(root, changed, expected)
        rebuild_in_process(root, monkeypatch)
        assert snapshot(root) == expected, f"killed at step {point} of {steps}"


def test_build_killed_at_a_random_time_recovers(states, tmp_path, monkeypatch):
    changed_root, expected, _ = states
    changed = snapshot(changed_root)
    chance = random.Random(len(expected))
    for attempt in range(2):
        root = copy_state(changed_root, tmp_path / f"timed-{attempt}")
        process = runner(root, root / "dist", "--delay", "0.3")
        assert process.stdout.readline().strip() == "ready"  # imports done: the build itself starts now
        time.sleep(chance.uniform(0.0, 0.5))
        process.send_signal(signal.SIGKILL)
        finish(process)
        check_never_partial(root, changed, expected)
        rebuild_in_process(root, monkeypatch)
        assert snapshot(root) == expected


def test_two_builds_at_once_into_one_folder(states, tmp_path):
    changed_root, expected, _ = states
    root = copy_state(changed_root, tmp_path / "same")
    processes = [runner(root, root / "dist", "--delay", "0.3") for _ in range(2)]
    results = [finish(p) for p in processes]
    assert [code for code, _ in results] == [0, 0], results
    assert snapshot(root) == expected  # one complete build, no leftovers of the other


def test_two_builds_at_once_into_two_folders_annotate_once(states, tmp_path):
    changed_root, expected, _ = states
    root = copy_state(changed_root, tmp_path / "two")
    processes = [runner(root, root / name, "--delay", "0.3") for name in ("dist-a", "dist-b")]
    results = [finish(p) for p in processes]
    assert [code for code, _ in results] == [0, 0], results
    assert sorted("(1 re-annotated)" in output for _, output in results) == [False, True]
    now = snapshot(root)
    assert part(now, "annotations/") == part(expected, "annotations/")
    for name in ("dist-a", "dist-b"):
        built = {k.replace(f"{name}/", "dist/", 1): v for k, v in part(now, f"{name}/polner/").items()}
        assert built == part(expected, "dist/polner/")


def test_an_interrupted_silver_write_leaves_the_old_file(tmp_path, monkeypatch):
    root = copy_mini(tmp_path / "repo")
    path = silver_path(root, POUTINE)
    before = path.read_bytes()

    def fail(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(path, "half")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(p.name for p in (
        silver_path(copy_mini(tmp_path / "fresh"), POUTINE).parent.iterdir()))


def test_annotate_removes_temporary_files_left_by_a_killed_write(tmp_path, monkeypatch):
    root = copy_mini(tmp_path / "repo")
    leftover = silver_path(root, MACRON).with_name(f".{MACRON}.conllu.k2j3h4.tmp")
    leftover.write_text("half a silver fi")
    monkeypatch.setattr(polner.runners, "StanzaAnnotator", ReplayAnnotator)
    assert run_cli(root, "annotate", "--quiet").code == 0
    assert not leftover.exists()
    assert run_cli(root, "validate").code == 0


def test_two_corrections_at_once_both_land(tmp_path):
    """`correct` reads, checks and appends under a lock: neither entry is lost."""
    root = copy_mini(tmp_path / "repo")
    requests = [["--sentence", "5", "--text", "Douma", "--relabel", "ORG"],
                ["--sentence", "4", "--text", "Poutine", "--relabel", "PER"],
                ["--sentence", "5", "--text", "Poutine", "--add", "PER"]]
    processes = [subprocess.Popen([sys.executable, "-m", "polner", "--root", str(root), "correct", POUTINE, *args],
                                  cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for args in requests]
    results = [finish(p) for p in processes]
    assert [code for code, _ in results] == [0, 0, 0], results
    import yaml

    gold = yaml.safe_load((root / "annotations" / "fr" / "gold" / f"{POUTINE}.yaml").read_text(encoding="utf-8"))
    assert sorted(c["text"] + c["action"] for c in gold["corrections"]) == ["Doumarelabel", "Poutineadd",
                                                                            "Poutinerelabel"]
    assert run_cli(root, "validate").code == 0
