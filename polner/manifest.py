"""manifest.json: what a built dataset folder holds and what made it.

Written last by the build, into the folder it describes: every other file with its sha256 and
size (sorted by path), the versions of the tools, the Stanza pipeline(s) of the silver layer,
the statistics per language and split (so that two releases can be compared), and digests of
the inputs (corpus/ and annotations/, DATASET_CARD.md and LICENSE-DATA.md, the polner code,
the version) so that `polner publish` can tell a stale build. It holds no time stamp: the same
inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import polner
from polner import DATASET_NAME, __version__
from polner.document import PipelineFingerprint
from polner.issues import PolnerError
from polner.labels import ENTITY_LABELS
from polner.layout import Layout

if TYPE_CHECKING:
    from polner.dataset import ConfigFiles

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
CARD_FILES = ("DATASET_CARD.md", "LICENSE-DATA.md")
"""Files at the repository root that a build copies or renders into the dataset folder."""
TOOLS = ("polner", "python", "stanza", "datasets", "pyarrow", "huggingface_hub")


@dataclass(frozen=True)
class FileRecord:
    path: str  # relative to the dataset folder, POSIX
    sha256: str
    bytes: int


@dataclass(frozen=True)
class InputDigests:
    """sha256 digests of what a build reads; equal digests give byte-identical builds."""

    data: str  # every file under corpus/ and annotations/ (path and content)
    card: str  # DATASET_CARD.md and LICENSE-DATA.md (where there is one)
    code: str  # the polner package's files
    version: str  # polner.__version__ (not a digest)

    @property
    def combined(self) -> str:
        return _sha256_lines([f"data {self.data}", f"card {self.card}", f"code {self.code}",
                              f"version {self.version}"])

    def changes_since(self, built: InputDigests) -> list[str]:
        """What differs from the inputs of an earlier build, in words."""
        changes = []
        if self.data != built.data:
            changes.append("corpus/ or annotations/ changed")
        if self.card != built.card:
            changes.append("DATASET_CARD.md or LICENSE-DATA.md changed")
        if self.code != built.code:
            changes.append("the polner code changed")
        if self.version != built.version:
            changes.append(f"the version changed ({built.version} → {self.version})")
        return changes


@dataclass(frozen=True)
class PipelineRecord:
    """A Stanza pipeline that produced silver files of this build."""

    digest: str
    stanza_version: str
    processors: str
    models: tuple[tuple[str, str], ...]
    documents: int


@dataclass(frozen=True)
class SplitStatistics:
    documents: int
    sentences: int
    tokens: int
    mentions: tuple[tuple[str, int], ...]  # (label, count) in ENTITY_LABELS order

    def metrics(self) -> list[tuple[str, int]]:
        """(name, value) in display order: documents, sentences, tokens, mentions per label, all
        mentions."""
        return [("documents", self.documents), ("sentences", self.sentences), ("tokens", self.tokens),
                *self.mentions,
                ("mentions", sum(n for _, n in self.mentions))]


@dataclass(frozen=True)
class Manifest:
    dataset: str
    version: str
    inputs: InputDigests
    tools: tuple[tuple[str, str], ...]
    pipelines: tuple[PipelineRecord, ...]
    statistics: tuple[tuple[str, str, SplitStatistics], ...]  # (language, split or "all", stats)
    files: tuple[FileRecord, ...]

    def to_json(self) -> str:
        data = {
            "format": MANIFEST_FORMAT,
            "dataset": self.dataset,
            "version": self.version,
            "inputs": {"sha256": self.inputs.combined, "data": self.inputs.data, "card": self.inputs.card,
                       "code": self.inputs.code, "version": self.inputs.version},
            "tools": dict(self.tools),
            "pipelines": [
                {"digest": p.digest, "stanza_version": p.stanza_version, "processors": p.processors,
                 "models": [{"file": name, "sha256": sha} for name, sha in p.models], "documents": p.documents}
                for p in self.pipelines
            ],
            "statistics": {},
            "files": [{"path": f.path, "sha256": f.sha256, "bytes": f.bytes} for f in self.files],
        }
        for language, split, stats in self.statistics:
            data["statistics"].setdefault(language, {})[split] = {
                "documents": stats.documents, "sentences": stats.sentences, "tokens": stats.tokens,
                "mentions": dict(stats.mentions),
            }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = MANIFEST_NAME) -> Manifest:
        try:
            data = json.loads(text)
            inputs = data["inputs"]
            return cls(
                dataset=data["dataset"],
                version=data["version"],
                inputs=InputDigests(inputs["data"], inputs["card"], inputs["code"], inputs["version"]),
                tools=tuple(data["tools"].items()),
                pipelines=tuple(
                    PipelineRecord(p["digest"], p["stanza_version"], p["processors"],
                                   tuple((m["file"], m["sha256"]) for m in p["models"]), p["documents"])
                    for p in data["pipelines"]
                ),
                statistics=tuple(
                    (language, split, SplitStatistics(s["documents"], s["sentences"], s["tokens"],
                                                      tuple(s["mentions"].items())))
                    for language, splits in data["statistics"].items() for split, s in splits.items()
                ),
                files=tuple(FileRecord(f["path"], f["sha256"], f["bytes"]) for f in data["files"]),
            )
        except json.JSONDecodeError as exc:
            raise PolnerError(f"{source}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        except (KeyError, TypeError, AttributeError) as exc:
            raise PolnerError(f"{source}: not a polner manifest (missing or malformed {exc})") from None

    def stats_of(self, language: str, split: str) -> SplitStatistics | None:
        return next((s for lang, name, s in self.statistics if (lang, name) == (language, split)), None)


def _sha256_lines(lines: Iterable[str]) -> str:
    return hashlib.sha256("".join(f"{line}\n" for line in lines).encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tree_digest(root: Path, files: Iterable[Path]) -> str:
    """A digest of relative paths and contents, independent of listing order."""
    return _sha256_lines(sorted(f"{p.relative_to(root).as_posix()}\0{sha256_file(p)}" for p in files))


def _visible_files(folder: Path) -> list[Path]:
    """Files under `folder`, skipping hidden ones (lock files) and Python caches."""
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file()
            and not any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(folder).parts)
            and p.suffix != ".pyc"]


def input_digests(layout: Layout) -> InputDigests:
    """Digests of the build's inputs as they are now."""
    data_files = _visible_files(layout.corpus) + _visible_files(layout.annotations)
    card_files = [layout.root / name for name in CARD_FILES if (layout.root / name).is_file()]
    package = Path(polner.__file__).parent
    return InputDigests(
        data=_tree_digest(layout.root, data_files),
        card=_tree_digest(layout.root, card_files),
        code=_tree_digest(package, _visible_files(package)),
        version=__version__,
    )


def tool_versions() -> tuple[tuple[str, str], ...]:
    """Versions of the tools that make a build (read from package metadata: nothing is imported)."""
    versions = []
    for name in TOOLS:
        if name == "python":
            versions.append((name, platform.python_version()))
        elif name == "polner":
            versions.append((name, __version__))
        else:
            try:
                versions.append((name, metadata.version(name)))
            except metadata.PackageNotFoundError:
                versions.append((name, "not installed"))
    return tuple(versions)


def _silver_fingerprint(path: Path) -> PipelineFingerprint | None:
    header: dict[str, str] = {}
    models: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#") or line.startswith("# sent_id"):
                break
            key, _, value = line[1:].strip().partition(" = ")
            if key == "polner:model":
                name, _, sha = value.rpartition(" sha256=")
                models.append((name, sha))
            else:
                header[key] = value
    if "polner:stanza_version" not in header or "polner:processors" not in header:
        return None
    return PipelineFingerprint(header["polner:stanza_version"], header["polner:processors"], tuple(models))


def pipeline_records(layout: Layout) -> tuple[PipelineRecord, ...]:
    """The distinct Stanza pipelines recorded in the silver files, by digest."""
    found: dict[str, PipelineFingerprint] = {}
    counts: Counter[str] = Counter()
    for language in layout.languages():
        for doc_id in layout.document_ids(language):
            path = layout.silver_path(language, doc_id)
            fingerprint = _silver_fingerprint(path) if path.exists() else None
            if fingerprint is not None:
                found[fingerprint.digest] = fingerprint
                counts[fingerprint.digest] += 1
    return tuple(PipelineRecord(digest, fp.stanza_version, fp.processors, fp.models, counts[digest])
                 for digest, fp in sorted(found.items()))


def release_statistics(folder: Path, configs: Iterable["ConfigFiles"]) -> tuple[tuple[str, str, SplitStatistics], ...]:
    """Documents, sentences, tokens and mentions per label, read back from the sentence parquet."""
    import pyarrow.parquet as pq

    result = []
    for config in configs:
        if config.level != "sentence":
            continue
        total = {"documents": 0, "sentences": 0, "tokens": 0, "mentions": Counter()}
        for split, path in config.files.items():
            table = pq.read_table(folder / path, columns=["doc_id", "tokens", "spans"]).to_pydict()
            mentions = Counter(span["label"] for spans in table["spans"] for span in spans)
            stats = SplitStatistics(len(set(table["doc_id"])), len(table["doc_id"]),
                                    sum(len(tokens) for tokens in table["tokens"]),
                                    tuple((label, mentions[label]) for label in ENTITY_LABELS))
            result.append((config.language, split, stats))
            for key in ("documents", "sentences", "tokens"):
                total[key] += getattr(stats, key)
            total["mentions"].update(mentions)
        result.append((config.language, "all", SplitStatistics(
            total["documents"], total["sentences"], total["tokens"],
            tuple((label, total["mentions"][label]) for label in ENTITY_LABELS))))
    return tuple(result)


def folder_files(folder: Path) -> tuple[FileRecord, ...]:
    """Every file of a dataset folder except the manifest itself, sorted by path."""
    records = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and relative != MANIFEST_NAME:
            records.append(FileRecord(relative, sha256_file(path), path.stat().st_size))
    return tuple(sorted(records, key=lambda r: r.path))


def build_manifest(layout: Layout, folder: Path) -> Manifest:
    from polner.dataset import sentence_config
    from polner.splits import SPLITS

    configs = [sentence_config(language, SPLITS) for language in layout.languages()]
    return Manifest(
        dataset=DATASET_NAME,
        version=__version__,
        inputs=input_digests(layout),
        tools=tool_versions(),
        pipelines=pipeline_records(layout),
        statistics=release_statistics(folder, configs),
        files=folder_files(folder),
    )


def write_manifest(layout: Layout, folder: Path) -> Manifest:
    """Describe `folder` in folder/manifest.json; called last, once every other file is written."""
    from polner.fileio import atomic_write_text

    manifest = build_manifest(layout, folder)
    atomic_write_text(folder / MANIFEST_NAME, manifest.to_json())
    return manifest


def read_manifest(path: Path) -> Manifest:
    """A manifest from manifest.json, or from a dataset folder that holds one."""
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolnerError(f"{path}: no such file (hint: `polner build` writes it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolnerError(f"{path}: cannot read: {exc}") from None
    return Manifest.from_json(text, str(path))


def check_files(folder: Path, manifest: Manifest) -> list[str]:
    """How the folder differs from its manifest: changed, missing and unlisted files."""
    problems = []
    actual = {record.path: record for record in folder_files(folder)}
    for record in manifest.files:
        found = actual.pop(record.path, None)
        if found is None:
            problems.append(f"{record.path} is missing")
        elif found.sha256 != record.sha256:
            problems.append(f"{record.path} changed after the build (sha256 differs from {MANIFEST_NAME})")
    problems += [f"{path} is not listed in {MANIFEST_NAME}" for path in sorted(actual)]
    return problems


def stats_diff(old: Manifest | None, new: Manifest) -> str:
    """A Markdown table of the statistics of `new`, each cell `old → new (±change)` where it
    changed (just the value where it did not); `old` None is a first release."""
    old_name = old.version if old else "nothing"
    measures = [name for name, _ in new.statistics[0][2].metrics()] if new.statistics else []
    lines = [f"Statistics, {old_name} → {new.version}:", "",
             "| language | split | " + " | ".join(measures) + " |",
             "|---|---|" + "---:|" * len(measures)]
    keys = [(language, split) for language, split, _ in new.statistics]
    if old:
        keys += [(language, split) for language, split, _ in old.statistics if (language, split) not in keys]
    for language, split in keys:
        before = old.stats_of(language, split) if old else None
        after = new.stats_of(language, split)
        before_values = dict(before.metrics()) if before else {}
        after_values = dict(after.metrics()) if after else {}
        cells = []
        for measure in measures:
            b, a = before_values.get(measure, 0), after_values.get(measure, 0)
            if old is None:
                cells.append(str(a))
            elif a == b and before and after:
                cells.append(str(a))
            else:
                cells.append(f"{b if before else '—'} → {a if after else '—'} ({a - b:+d})")
        lines.append(f"| {language} | {split} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
