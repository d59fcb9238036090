"""Shared helpers for the tests that work on the small fixture corpus (tests/fixtures/mini):
copying it, snapshotting every file, running the CLI in-process, and annotators that stand in
for Stanza so that no test needs the models."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from polner.document import PipelineFingerprint, Sentence, SilverDocument
from polner.silver import TextToAnnotate, parse_silver

MINI = Path(__file__).parent / "fixtures" / "mini"
POUTINE = "fr-vladimir-poutine-recoit-secretaire-general"
MACRON = "fr-emmanuel-macron-visite-berlin"
REPO_ROOT = Path(__file__).resolve().parent.parent


def copy_mini(destination: Path) -> Path:
    """A fresh, writable copy of the fixture corpus at `destination`."""
    shutil.copytree(MINI, destination)
    return destination


def text_of(root: Path, doc_id: str) -> str:
    return (root / "corpus" / "fr" / "text" / f"{doc_id}.txt").read_text(encoding="utf-8")


def gold_path(root: Path, doc_id: str) -> Path:
    return root / "annotations" / "fr" / "gold" / f"{doc_id}.yaml"


def silver_path(root: Path, doc_id: str) -> Path:
    return root / "annotations" / "fr" / "silver" / f"{doc_id}.conllu"


def offsets(text: str, surface: str, occurrence: int = 1) -> tuple[int, int]:
    """(start, end) of the n-th occurrence of `surface` in `text`."""
    start = -1
    for _ in range(occurrence):
        start = text.index(surface, start + 1)
    return start, start + len(surface)


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def run_cli(root: Path, *args: str) -> CliResult:
    """`polner --root ROOT ARGS…` in this process, with its exit code and output."""
    from polner.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--root", str(root), *args])
    return CliResult(code, out.getvalue(), err.getvalue())


# --- annotators standing in for Stanza ---------------------------------------------------

SentenceEdit = Callable[[str, tuple[Sentence, ...]], tuple[Sentence, ...]]


class ReplayAnnotator:
    """Replays the fixture's silver files as if a model produced them: the same interface as
    polner.silver.StanzaAnnotator, no model. Subclasses change the fingerprint or the analysis."""

    source = MINI / "annotations" / "fr" / "silver"
    fingerprint_override: PipelineFingerprint | None = None
    edit: SentenceEdit | None = None
    calls: list[tuple[str, ...]] = []  # doc ids of each annotate() call, for assertions
    delay = 0.0  # seconds per document, to widen race windows in the concurrency tests

    def __init__(self, language: str, resources_dir: Path):
        self.language = language
        self.resources_dir = resources_dir
        self.recorded = {
            path.stem: parse_silver(path.read_text(encoding="utf-8")) for path in sorted(self.source.glob("*.conllu"))
        }
        first = next(iter(self.recorded.values()))
        self.fingerprint = self.fingerprint_override or first.fingerprint

    def annotate(self, texts: Sequence[TextToAnnotate]) -> list[SilverDocument]:
        import time

        type(self).calls.append(tuple(item.doc_id for item in texts))
        documents = []
        for item in texts:
            time.sleep(self.delay)
            recorded = self.recorded[item.doc_id]
            sentences = recorded.sentences if self.edit is None else type(self).edit(item.doc_id, recorded.sentences)
            documents.append(SilverDocument(item.doc_id, item.language, item.text_sha256, self.fingerprint,
                                            tuple(sentences)))
        return documents


def retag(sentences: tuple[Sentence, ...], tags: dict[int, str]) -> tuple[Sentence, ...]:
    """The sentences with the NER tag of each token starting at a given offset replaced."""
    return tuple(
        replace(s, tokens=tuple(replace(t, ner=tags.get(t.start, t.ner)) for t in s.tokens)) for s in sentences
    )


def split_sentence(sentences: tuple[Sentence, ...], index: int, at_offset: int, text: str) -> tuple[Sentence, ...]:
    """The sentences with sentence `index` split before the token starting at `at_offset`."""
    result: list[Sentence] = []
    for s in sentences:
        if s.index != index:
            result.append(s)
            continue
        head = tuple(t for t in s.tokens if t.start < at_offset)
        tail = tuple(t for t in s.tokens if t.start >= at_offset)
        for tokens in (head, tail):
            result.append(Sentence(0, text[tokens[0].start : tokens[-1].end], tokens))
    return tuple(replace(s, index=number) for number, s in enumerate(result, start=1))


class ForbiddenAnnotator:
    """Fails the test if anything tries to load a model."""

    def __init__(self, *args: object, **kwargs: object):
        raise AssertionError("the Stanza pipeline was loaded, but nothing should have been annotated")
