"""The build stage: annotate what is stale, apply corrections, validate, and export a
Hub-ready dataset folder. The folder is written beside the target and swapped in only when
everything succeeded, so a failed build leaves the previous one untouched."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from polner import DATASET_NAME, __version__
from polner.annotate import AnnotateReport, annotate_corpus
from polner.card import render_card
from polner.dataset import ConfigFiles, ParquetSink, document_config, sentence_config
from polner.exports import ExportWriter
from polner.fileio import atomic_write_text, exchange_paths, file_lock
from polner.issues import Issue, Level, PolnerError, ValidationFailed
from polner.labels import ENTITY_LABELS
from polner.layout import Layout
from polner.manifest import write_manifest
from polner.splits import SPLITS
from polner.stats import CorpusStats
from polner.validate import iter_validated_documents


@dataclass(frozen=True)
class BuildResult:
    output: Path
    annotate: AnnotateReport
    documents: int
    rows: dict[tuple[str, str], int]
    warnings: tuple[Issue, ...]


def _load_card_template(layout: Layout) -> str:
    path = layout.root / "DATASET_CARD.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolnerError(f"{path}: cannot read the dataset card source: {exc.strerror}") from None


def export_dataset(layout: Layout, folder: Path, *, progress: bool = True) -> tuple[int, dict, list[Issue]]:
    """Validate every document and write the dataset into `folder` (parquet, exports, card).

    Raises ValidationFailed, with every issue, if any document has an error.
    """
    from tqdm import tqdm

    template = _load_card_template(layout)
    configs = [make(language, SPLITS) for language in layout.languages()
               for make in (sentence_config, document_config)]
    sinks = {(c.name, split): ParquetSink(folder / path, c.columns)
             for c in configs for split, path in c.files.items()}
    exports = ExportWriter(folder, layout.languages(), SPLITS)
    issues: list[Issue] = []
    stats = CorpusStats()
    documents = 0
    total = sum(len(layout.document_ids(language)) for language in layout.languages())
    try:
        with tqdm(total=total, desc="build", unit="doc", disable=not progress) as bar:
            for document, problems in iter_validated_documents(layout):
                issues += problems
                if document is None:
                    if problems and problems[0].doc_id:
                        bar.update(1)
                    continue
                bar.update(1)
                documents += 1
                stats.add(document)
                for config in configs:
                    if config.language == document.meta.language:
                        sink = sinks[(config.name, document.split)]
                        for row in config.rows(document):
                            sink.add(row)
                exports.add(document)
    finally:
        for sink in sinks.values():
            sink.close()
        exports.close()
    if not layout.languages():
        raise PolnerError("the corpus is empty: add articles with `polner ingest`")
    if any(issue.level is Level.ERROR for issue in issues):
        raise ValidationFailed(issues)
    rows = {(c.name, split): sinks[(c.name, split)].rows for c in configs for split in c.files}
    nbytes = {(c.name, split): sinks[(c.name, split)].nbytes for c in configs for split in c.files}
    card = render_card(template, version=__version__, configs=configs, split_rows=rows, split_bytes=nbytes,
                       values=card_values(configs, stats))
    atomic_write_text(folder / "README.md", card)
    licence = layout.root / "LICENSE-DATA.md"
    if licence.exists():  # the card's license_link points at it
        atomic_write_text(folder / "LICENSE-DATA.md", licence.read_text(encoding="utf-8"))
    return documents, rows, [i for i in issues if i.level is Level.WARNING]


def card_values(configs: list[ConfigFiles], stats: CorpusStats) -> dict[str, str]:
    default = next((c for c in configs if c.default), configs[0])
    return {
        "dataset_name": DATASET_NAME,
        "default_config": default.name,
        "labels": ", ".join(ENTITY_LABELS),
        "statistics": stats.to_markdown(SPLITS),
        "agreement": stats.agreement_markdown(),
    }


def _swap_into_place(new: Path, final: Path) -> None:
    if final.exists() and exchange_paths(new, final):
        shutil.rmtree(new)  # it now holds the previous build
        return
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.rename(final, old)
    os.rename(new, final)
    if old is not None:
        shutil.rmtree(old)


def build_dataset(layout: Layout, output_root: Path, *, resources_dir: Path | None = None,
                  progress: bool = True) -> BuildResult:
    """annotate (stale documents only) → corrections → validate → export to output_root/polner."""
    output_root.mkdir(parents=True, exist_ok=True)
    final = output_root / DATASET_NAME
    with file_lock(output_root / f".{DATASET_NAME}.lock"):
        for leftover in output_root.glob(f".{DATASET_NAME}.*-*"):
            shutil.rmtree(leftover, ignore_errors=True)  # from a build that was killed
        annotated = annotate_corpus(layout, resources_dir, progress=progress)
        staging = Path(tempfile.mkdtemp(prefix=f".{DATASET_NAME}.tmp-", dir=output_root))
        staging.chmod(0o755)
        try:
            documents, rows, warnings = export_dataset(layout, staging, progress=progress)
            write_manifest(layout, staging)  # last: it lists every file written before it
            _swap_into_place(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return BuildResult(final, annotated, documents, rows, tuple(warnings))
