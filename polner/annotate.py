"""The annotate stage: run Stanza over every document whose silver layer is missing or stale."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from polner.corpus import sha256_text
from polner.fileio import atomic_write_text, file_lock
from polner.issues import PolnerError
from polner.layout import Layout
from polner.runners import InProcessRunner, Runner
from polner.silver import TextToAnnotate, read_silver_header


@dataclass(frozen=True)
class AnnotateReport:
    annotated: tuple[str, ...]
    up_to_date: int
    fingerprint: str | None
    skipped: tuple[str, ...] = ()  # text differs from its metadata: an error for validate, not a reason to annotate


def _matches_metadata(layout: Layout, item: TextToAnnotate) -> bool:
    """Whether the text is the one its metadata records (else it was edited by hand or is broken)."""
    from polner.yamlio import YamlSyntaxError, load_located_yaml

    try:
        meta = load_located_yaml(layout.meta_path(item.language, item.doc_id).read_text(encoding="utf-8")).data
    except (OSError, UnicodeDecodeError, YamlSyntaxError):
        return False
    return isinstance(meta, dict) and meta.get("text_sha256") == item.text_sha256


def remove_interrupted_writes(folder: Path) -> None:
    """Delete the temporary files of atomic writes that a killed process left in `folder`."""
    for leftover in folder.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def stale_documents(layout: Layout, language: str, *, everything: bool = False) -> list[TextToAnnotate]:
    """Documents whose silver file is missing or records another text sha256 (all if `everything`)."""
    stale = []
    for doc_id in layout.document_ids(language):
        text_path = layout.text_path(language, doc_id)
        if not text_path.exists():
            continue  # reported by validate
        text = text_path.read_bytes().decode("utf-8", errors="replace")
        digest = sha256_text(text)
        silver_path = layout.silver_path(language, doc_id)
        if not everything and silver_path.exists():
            try:
                if read_silver_header(silver_path).get("polner:text_sha256") == digest:
                    continue
            except (OSError, UnicodeDecodeError):
                pass
        stale.append(TextToAnnotate(doc_id, language, text, digest))
    return stale


def annotate_corpus(
    layout: Layout,
    resources_dir: Path | None,
    *,
    languages: list[str] | None = None,
    reannotate: bool = False,
    batch_size: int = 16,
    progress: bool = True,
    runner: Runner | None = None,
) -> AnnotateReport:
    """Write a silver file for each stale document; Stanza is loaded only if one is stale.

    `resources_dir` None means STANZA_RESOURCES_DIR or Stanza's default folder. `runner` says
    where Stanza runs (default: in this process, see polner.runners); the files are written
    here, one at a time and atomically, whichever runner annotated them."""
    from tqdm import tqdm

    runner = runner or InProcessRunner()
    annotated: list[str] = []
    skipped: list[str] = []
    up_to_date = 0
    fingerprint = None
    with file_lock(layout.annotations / ".annotate.lock"):
        for language in languages or layout.languages():
            remove_interrupted_writes(layout.annotations / language / "silver")
            stale = stale_documents(layout, language, everything=reannotate)
            todo = [item for item in stale if _matches_metadata(layout, item)]
            skipped += sorted({item.doc_id for item in stale} - {item.doc_id for item in todo})
            up_to_date += len(layout.document_ids(language)) - len(stale)
            if not todo:
                continue
            from polner.models import resolve_resources_dir

            expected = {item.doc_id for item in todo}
            pipeline = None
            with tqdm(total=len(todo), desc=f"annotate {language}", unit="doc", disable=not progress) as bar:
                for result in runner.annotate(todo, resolve_resources_dir(resources_dir), batch_size):
                    if result.doc_id not in expected:
                        raise PolnerError(f"the runner returned {result.doc_id!r}, which was not to annotate")
                    pipeline = pipeline or result.pipeline
                    if result.pipeline != pipeline:
                        raise PolnerError(
                            f"{result.doc_id}: annotated by another Stanza pipeline ({result.pipeline[:12]}) "
                            f"than the other documents ({pipeline[:12]}): give every worker the same "
                            "Stanza version and models")
                    atomic_write_text(layout.silver_path(language, result.doc_id), result.conllu)
                    expected.remove(result.doc_id)
                    annotated.append(result.doc_id)
                    bar.update(1)
            if expected:
                raise PolnerError(f"the runner returned no silver layer for {len(expected)} document(s), "
                                  f"e.g. {min(expected)}")
            fingerprint = pipeline
    return AnnotateReport(tuple(sorted(annotated)), up_to_date, fingerprint, tuple(skipped))
