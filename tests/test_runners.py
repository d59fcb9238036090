"""Runners: every runner writes the same silver files, and only stale documents reach one.

The `stanza` tests run the real models on a copy of the real corpus (about a minute in all:
the process pool and Ray each start workers that load Stanza)."""

from __future__ import annotations

import os
import hashlib
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from polner.annotate import annotate_corpus
from polner.build import build_dataset
from polner.cli import main
from polner.corpus import clean_text, sha256_text, write_meta
from polner.issues import PolnerError
from polner.layout import Layout
from polner.runners import InProcessRunner, ProcessPoolRunner, RayRunner, SilverText, make_runner
from polner.silver import parse_silver, silver_spans
from polner.validate import load_meta

REPO = Path(__file__).resolve().parent.parent
LANGUAGE = "fr"


@pytest.fixture(scope="module")
def stanza_resources() -> Path:
    path = Path(os.environ.get("STANZA_RESOURCES_DIR") or REPO.parent / "shared" / "stanza_resources")
    if not (path / "resources.json").exists():
        if os.environ.get("CI"):
            pytest.fail(f"the Stanza models are missing from {path} (CI must run the stanza tests)")
        pytest.skip(f"no Stanza models at {path}")
    return path


def copy_corpus(root: Path, *, silver: bool) -> Layout:
    """A repository with the real corpus, with or without its silver layer."""
    shutil.copytree(REPO / "corpus", root / "corpus")
    shutil.copy(REPO / "DATASET_CARD.md", root / "DATASET_CARD.md")
    if silver:
        shutil.copytree(REPO / "annotations" / LANGUAGE / "silver", root / "annotations" / LANGUAGE / "silver")
    return Layout(root)


def silver_files(layout: Layout) -> dict[str, bytes]:
    folder = layout.annotations / LANGUAGE / "silver"
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.conllu"))}


def change_text(layout: Layout, doc_id: str, extra: str) -> None:
    """Edit a document the way a contributor would: a new raw file, its text and metadata."""
    raw = layout.raw_path(LANGUAGE, doc_id).read_text(encoding="utf-8") + extra
    text = clean_text(raw, LANGUAGE).text
    layout.raw_path(LANGUAGE, doc_id).write_text(raw, encoding="utf-8")
    layout.text_path(LANGUAGE, doc_id).write_text(text, encoding="utf-8")
    meta, issues = load_meta(layout, LANGUAGE, doc_id)
    assert meta is not None, issues
    write_meta(layout.meta_path(LANGUAGE, doc_id),
               replace(meta, raw_sha256=hashlib.sha256(raw.encode()).hexdigest(), text_sha256=sha256_text(text)))


@pytest.fixture(scope="module")
def in_process_runner() -> InProcessRunner:
    return InProcessRunner()  # loads Stanza once for every test of this module


@pytest.fixture(scope="module")
def reference_silver(tmp_path_factory, stanza_resources, in_process_runner) -> dict[str, bytes]:
    """The silver files of the single-process runner, on the real corpus."""
    layout = copy_corpus(tmp_path_factory.mktemp("serial"), silver=False)
    report = annotate_corpus(layout, stanza_resources, progress=False, runner=in_process_runner)
    files = silver_files(layout)
    assert len(report.annotated) == len(layout.document_ids(LANGUAGE)) == len(files) == 5
    return files


@pytest.mark.stanza
def test_process_pool_writes_the_same_silver_files(tmp_path, stanza_resources, reference_silver):
    layout = copy_corpus(tmp_path, silver=False)
    # batches of 2 documents: 3 batches, so both workers annotate some
    report = annotate_corpus(layout, stanza_resources, batch_size=2, progress=False,
                             runner=ProcessPoolRunner(2))
    assert silver_files(layout) == reference_silver
    assert report.annotated == tuple(sorted(layout.document_ids(LANGUAGE)))


@pytest.mark.stanza
def test_ray_runner_writes_the_same_silver_files(tmp_path, stanza_resources, reference_silver):
    if not os.environ.get("CI"):
        pytest.importorskip("ray.data")
    layout = copy_corpus(tmp_path, silver=False)
    report = annotate_corpus(layout, stanza_resources, batch_size=2, progress=False,
                             runner=RayRunner(actors=2))
    assert silver_files(layout) == reference_silver
    assert report.annotated == tuple(sorted(layout.document_ids(LANGUAGE)))


@pytest.mark.stanza
def test_python_m_polner_annotates_with_worker_processes(tmp_path, stanza_resources, reference_silver):
    """Spawned workers re-import the main module: `python -m polner` must still work."""
    copy_corpus(tmp_path, silver=False)
    done = subprocess.run([sys.executable, "-m", "polner", "--root", str(tmp_path), "annotate",
                           "--stanza-dir", str(stanza_resources), "--workers", "2", "--batch-size", "3",
                           "--quiet"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "annotated 5 document(s); 0 already up to date"
    assert silver_files(Layout(tmp_path)) == reference_silver


@pytest.mark.stanza
def test_changing_one_text_reannotates_only_that_document(tmp_path, stanza_resources, in_process_runner):
    layout = copy_corpus(tmp_path, silver=False)
    annotate_corpus(layout, stanza_resources, progress=False, runner=in_process_runner)
    before = silver_files(layout)
    changed = layout.document_ids(LANGUAGE)[2]
    change_text(layout, changed, "\nLe Kremlin a confirmé la visite de Vladimir Poutine à Astana.\n")

    report = annotate_corpus(layout, stanza_resources, progress=False, runner=in_process_runner)

    assert report.annotated == (changed,)
    assert report.up_to_date == 4
    after = silver_files(layout)
    assert {name for name in before if before[name] != after[name]} == {f"{changed}.conllu"}
    assert "Astana" in after[f"{changed}.conllu"].decode()


@pytest.mark.stanza
def test_a_worker_that_cannot_load_the_models_stops_the_run(tmp_path, stanza_resources):
    broken = tmp_path / "broken-models"
    broken.mkdir()
    shutil.copy(stanza_resources / "resources.json", broken / "resources.json")
    for model in stanza_resources.glob(f"{LANGUAGE}/*/*.pt"):
        damaged = broken / model.relative_to(stanza_resources)
        damaged.parent.mkdir(parents=True, exist_ok=True)
        damaged.write_bytes(b"not a model")
    layout = copy_corpus(tmp_path / "repo", silver=False)
    with pytest.raises(PolnerError, match=r"(?s)could not load the Stanza fr models from .*broken-models: .*"
                                          r"\(hint: the model files may be damaged"):
        annotate_corpus(layout, broken, batch_size=2, progress=False, runner=ProcessPoolRunner(2))
    assert not (layout.annotations / LANGUAGE / "silver").exists()


class RefusingRunner:
    """A runner for corpora where nothing is stale: being asked to annotate is the failure."""

    def annotate(self, todo, resources_dir, batch_size):
        raise AssertionError(f"asked to annotate {[t.doc_id for t in todo]}")


def test_up_to_date_corpus_never_reaches_the_runner(tmp_path):
    layout = copy_corpus(tmp_path, silver=True)
    report = annotate_corpus(layout, tmp_path / "no-models", progress=False, runner=RefusingRunner())
    assert report.annotated == ()
    assert report.up_to_date == 5
    assert report.fingerprint is None


def test_changing_a_correction_rebuilds_without_stanza(tmp_path):
    layout = copy_corpus(tmp_path, silver=True)
    doc_id = "fr-president-russe-arrive-27-novembre"
    text = layout.text_path(LANGUAGE, doc_id).read_text(encoding="utf-8")
    silver = parse_silver(layout.silver_path(LANGUAGE, doc_id).read_text(encoding="utf-8"))
    span = silver_spans(silver, text)[0]
    label = "ORG" if span.label != "ORG" else "PER"
    gold = layout.gold_path(LANGUAGE, doc_id)
    gold.parent.mkdir(parents=True)
    gold.write_text(f"document: {doc_id}\nstatus: in-progress\ncorrections:\n"
                    f"- action: relabel\n  start: {span.start}\n  end: {span.end}\n  text: {span.text}\n"
                    f"  label: {label}\n", encoding="utf-8")
    # an empty models folder: loading Stanza would fail, so the build shows it never does
    result = build_dataset(layout, tmp_path / "dist", resources_dir=tmp_path / "no-models", progress=False)
    assert result.annotate.annotated == ()
    rows = pq.read_table(result.output / "data" / LANGUAGE / "sentences-train.parquet").to_pylist()
    exported = {(row["doc_char_offset"] + s["start"], row["doc_char_offset"] + s["end"], s["label"], s["provenance"])
                for row in rows if row["doc_id"] == doc_id for s in row["spans"]}
    assert (span.start, span.end, label, "gold") in exported
    assert (span.start, span.end, span.label, "stanza") not in exported


class ScriptedRunner:
    """Returns the silver texts it was given, whatever it is asked."""

    def __init__(self, results: list[SilverText]):
        self.results = results

    def annotate(self, todo, resources_dir, batch_size):
        yield from self.results


def test_workers_with_different_models_are_refused(tmp_path):
    layout = copy_corpus(tmp_path, silver=False)
    first, second = layout.document_ids(LANGUAGE)[:2]
    runner = ScriptedRunner([SilverText(first, "one\n", "a" * 64), SilverText(second, "two\n", "b" * 64)])
    with pytest.raises(PolnerError, match=f"{second}: annotated by another Stanza pipeline"):
        annotate_corpus(layout, tmp_path, progress=False, runner=runner)
    assert not layout.silver_path(LANGUAGE, second).exists()


def test_a_runner_that_drops_documents_is_an_error(tmp_path):
    layout = copy_corpus(tmp_path, silver=False)
    first = layout.document_ids(LANGUAGE)[0]
    runner = ScriptedRunner([SilverText(first, "one\n", "a" * 64)])
    with pytest.raises(PolnerError, match=r"returned no silver layer for 4 document\(s\)"):
        annotate_corpus(layout, tmp_path, progress=False, runner=runner)


def test_a_runner_cannot_write_a_document_it_was_not_given(tmp_path):
    layout = copy_corpus(tmp_path, silver=False)
    runner = ScriptedRunner([SilverText("fr-not-in-the-corpus", "one\n", "a" * 64)])
    with pytest.raises(PolnerError, match="'fr-not-in-the-corpus', which was not to annotate"):
        annotate_corpus(layout, tmp_path, progress=False, runner=runner)
    assert not layout.silver_path(LANGUAGE, "fr-not-in-the-corpus").exists()


def test_make_runner_picks_the_runner():
    assert isinstance(make_runner("local"), InProcessRunner)
    assert isinstance(make_runner("local", workers=1), InProcessRunner)
    assert make_runner("local", workers=3).workers == 3
    ray_runner = make_runner("ray", workers=2, address="10.0.0.1:6379")
    assert (ray_runner.address, ray_runner.actors) == ("10.0.0.1:6379", 2)


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "--workers must be at least 1, not 0"),
    (["--runner", "ray", "--workers", "-1"], "--workers must be at least 1, not -1"),
    (["--ray-address", "10.0.0.1:6379"], "--ray-address needs --runner ray"),
    (["--runner", "ray", "--ray-address", "127.0.0.1:1"], "cannot reach a Ray cluster at 127.0.0.1:1: Connection refused"),
])
def test_cli_rejects_bad_runner_options(tmp_path, capsys, argv, message):
    copy_corpus(tmp_path, silver=False)
    assert main(["--root", str(tmp_path), "annotate", "--quiet", *argv]) == 2
    assert capsys.readouterr().err.strip() == f"polner: error: {message}"
    assert not (tmp_path / "annotations" / LANGUAGE / "silver").exists()
