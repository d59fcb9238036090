"""Helpers for tests that plant data in a copy of tests/fixtures/corpus_small (two synthetic
documents annotated once with the real Stanza pipeline)."""

from __future__ import annotations

import shutil
from pathlib import Path

from polner.layout import Layout

FIXTURE = Path(__file__).parent / "fixtures" / "corpus_small"
REPO_ROOT = Path(__file__).parent.parent

VISIT = "fr-president-russe-rencontre-homologue-kazakh"  # train split
SANDU = "fr-maia-sandu-critique-moscou"  # test split


def copy_corpus(tmp_path: Path) -> Layout:
    """A writable copy of the fixture repository, with the real dataset card template."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    shutil.copy(REPO_ROOT / "DATASET_CARD.md", root / "DATASET_CARD.md")
    return Layout(root)


def text_of(layout: Layout, doc_id: str) -> str:
    return layout.text_path("fr", doc_id).read_text(encoding="utf-8")


def offsets(layout: Layout, doc_id: str, surface: str, occurrence: int = 0) -> tuple[int, int]:
    """(start, end) of the n-th occurrence of `surface` in a document's annotated text."""
    text = text_of(layout, doc_id)
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    return start, start + len(surface)


def correction(layout: Layout, doc_id: str, action: str, surface: str, *, occurrence: int = 0,
               label: str | None = None, entity: str | None = None) -> str:
    """One correction as YAML lines (the first line starts with `- action:`)."""
    start, end = offsets(layout, doc_id, surface, occurrence)
    lines = [f"- action: {action}", f"  start: {start}", f"  end: {end}", f"  text: {surface!r}"]
    if label:
        lines.append(f"  label: {label}")
    if entity:
        lines.append(f"  entity: {entity}")
    return "\n".join(lines) + "\n"


def write_gold(layout: Layout, doc_id: str, corrections: list[str], status: str = "in-progress") -> tuple[str, list[int]]:
    """Write a gold file; returns its path as reported in issues and the line of each correction."""
    header = f"document: {doc_id}\nstatus: {status}\nreviewers: [tester]\ncorrections:{'' if corrections else ' []'}\n"
    lines, line = [], header.count("\n") + 1
    for item in corrections:
        lines.append(line)
        line += item.count("\n")
    path = layout.gold_path("fr", doc_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "".join(corrections), encoding="utf-8")
    return layout.relative(path), lines


def write_registry(layout: Layout, text: str) -> str:
    path = layout.annotations / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return layout.relative(path)


def silver_line(layout: Layout, doc_id: str, start: int) -> int:
    """The line of the silver CoNLL-U file whose surface token starts at `start`."""
    lines = layout.silver_path("fr", doc_id).read_text(encoding="utf-8").split("\n")
    matches = [n for n, line in enumerate(lines, start=1)
               if not line.startswith("#") and f"start_char={start}|" in line]
    assert len(matches) == 1, matches
    return matches[0]


def set_silver_tag(layout: Layout, doc_id: str, start: int, tag: str) -> None:
    """Change the Stanza NER tag of the token starting at `start` (the text hash is unaffected)."""
    path = layout.silver_path("fr", doc_id)
    lines = path.read_text(encoding="utf-8").split("\n")
    number = silver_line(layout, doc_id, start) - 1
    columns = lines[number].split("\t")
    misc = [item if not item.startswith("ner=") else f"ner={tag}" for item in columns[9].split("|")]
    columns[9] = "|".join(misc)
    lines[number] = "\t".join(columns)
    path.write_text("\n".join(lines), encoding="utf-8")


FULL_REGISTRY = """\
entities:
- key: vladimir-poutine
  type: PER
  name: Vladimir Poutine
  aliases: [Vladimir Poutine, Poutine]
  wikidata: Q7747
- key: kassym-jomart-tokaiev
  type: PER
  name: Kassym-Jomart Tokaïev
  aliases: [Kassym-Jomart Tokaïev]
  wikidata: null
- key: maia-sandu
  type: PER
  name: Maïa Sandu
  aliases: [Maïa Sandu, M. Sandu]
  wikidata: null
- key: astana
  type: LOC
  name: Astana
  aliases: [Astana]
  wikidata: null
- key: kazakhstan
  type: LOC
  name: Kazakhstan
  aliases: [Kazakhstan]
  wikidata: null
- key: moscou
  type: LOC
  name: Moscou
  aliases: [Moscou]
  wikidata: null
- key: chisinau
  type: LOC
  name: Chisinau
  aliases: [Chisinau]
  wikidata: null
- key: kremlin
  type: ORG
  name: Kremlin
  aliases: [Kremlin]
  wikidata: null
- key: union-economique-eurasiatique
  type: ORG
  name: Union économique eurasiatique
  aliases: [Union économique eurasiatique]
  wikidata: null
- key: union-europeenne
  type: ORG
  name: Union européenne
  aliases: [Union européenne]
  wikidata: null
- key: ministere-russe-affaires-etrangeres
  type: ORG
  name: ministère russe des Affaires étrangères
  aliases: [ministère russe des Affaires étrangères]
  wikidata: null
"""
"""A registry of the fixture's entities. Wikidata ids are null except Q7747 (Vladimir Putin),
used to exercise the field's format."""
