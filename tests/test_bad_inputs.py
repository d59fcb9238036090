"""Every kind of bad input, planted into a copy of the fixture corpus that also holds a built
dist/: `validate` and `build` must name the file and line, exit non-zero, print no traceback,
and leave dist/ and every input file byte-for-byte as they were."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import polner.runners
from minicorpus import (MACRON, MINI, POUTINE, REPO_ROOT, ForbiddenAnnotator, copy_mini, offsets, run_cli, text_of)

from conftest import snapshot
from polner.gold import empty_gold_file

GOLD = f"annotations/fr/gold/{POUTINE}.yaml"
TEXT = f"corpus/fr/text/{POUTINE}.txt"
RAW = f"corpus/fr/raw/{POUTINE}.txt"
META = f"corpus/fr/meta/{POUTINE}.yaml"
SILVER = f"annotations/fr/silver/{POUTINE}.conllu"
SPLITS = "corpus/splits.yaml"
MACRON_TEXT = f"corpus/fr/text/{MACRON}.txt"

FIXTURE_TEXT = text_of(MINI, POUTINE)
SILVER_LINES = (MINI / SILVER).read_text(encoding="utf-8").split("\n")
MOSCOU_LINE = next(n for n, line in enumerate(SILVER_LINES, 1) if "\tMoscou\t" in line)


def entry(action: str, surface: str, occurrence: int = 1, label: str | None = None, **fields: object) -> str:
    """A correction entry anchored on the n-th occurrence of `surface`, fields overridable."""
    start, end = offsets(FIXTURE_TEXT, surface, occurrence)
    values: dict[str, object] = {"action": action, "start": start, "end": end, "text": surface}
    if label:
        values["label"] = label
    values.update(fields)
    lines = [f"{key}: {value}" for key, value in values.items()]
    return "- " + "\n  ".join(lines) + "\n"


def plant_gold(body: str, prefix: str = "") -> Callable[[Path], None]:
    """Write the POUTINE gold file: the template (6 lines) then `body`, so entries start on line 7."""
    def mutate(root: Path) -> None:
        path = root / GOLD
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((prefix + empty_gold_file(POUTINE) + body).encode("utf-8"))
    return mutate


def edit(relative: str, change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / relative
        path.write_bytes(change(path.read_bytes()))
    return mutate


def replace_line(relative: str, number: int, new: str) -> Callable[[Path], None]:
    def change(data: bytes) -> bytes:
        lines = data.decode("utf-8").split("\n")
        lines[number - 1] = new
        return "\n".join(lines).encode("utf-8")
    return edit(relative, change)


def remove(relative: str) -> Callable[[Path], None]:
    return lambda root: (root / relative).unlink()


def rename(relative: str, new_relative: str) -> Callable[[Path], None]:
    return lambda root: (root / relative).rename(root / new_relative)


def both(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        for mutation in mutations:
            mutation(root)
    return mutate


@dataclass(frozen=True)
class Case:
    name: str
    mutate: Callable[[Path], None]
    expected: tuple[tuple[str, str, int | None], ...]  # (code, file, line) that must be reported
    build: bool = True  # False where building is expected to repair the input (a missing silver file)


CASES = [
    # Malformed YAML: a key indented less than its siblings in a list entry.
    Case("gold-yaml-syntax", plant_gold("- action: relabel\n  start: 251\n end: 258\n"),
         (("gold-yaml-syntax", GOLD, 9),)),
    # YAML aliases could make a file recursive or explode in size: refused.
    Case("gold-yaml-alias", plant_gold("- &first\n  action: delete\n- *first\n"), (("gold-yaml-syntax", GOLD, 9),)),
    # Wrong type: an offset written as text.
    Case("gold-wrong-type", plant_gold(entry("relabel", "Poutine", 3, "PER", start='"abc"')),
         (("gold-schema", GOLD, 8),)),
    # Wrong type: an offset written as a float (JSON Schema alone would accept 251.0).
    Case("gold-float-offset", plant_gold(entry("relabel", "Poutine", 3, "PER", start=251.0)),
         (("gold-schema", GOLD, 8),)),
    # Unknown key in a correction (a typo, or a field the schema does not have).
    Case("gold-unknown-key", plant_gold(entry("relabel", "Poutine", 3, "PER", colour="red")),
         (("gold-unknown-key", GOLD, 12),)),
    # Unknown top-level key.
    Case("gold-unknown-top-key", plant_gold("", prefix="reviewed_by: bob\n"), (("gold-unknown-key", GOLD, 1),)),
    # Unknown label: not in the closed label set PER/ORG/LOC/MISC.
    Case("gold-unknown-label", plant_gold(entry("relabel", "Poutine", 3, "PERSON")),
         (("gold-unknown-label", GOLD, 11),)),
    # add and relabel need a label.
    Case("gold-missing-label", plant_gold(entry("add", "Poutine", 4)), (("gold-missing-label", GOLD, 7),)),
    # delete takes none.
    Case("gold-delete-label", plant_gold(entry("delete", "Kremlin", 1, "LOC")), (("gold-delete-label", GOLD, 7),)),
    # The same key twice in one mapping: YAML keeps the last one silently.
    Case("gold-duplicate-key", plant_gold(entry("relabel", "Douma", 1, "ORG") + "  label: MISC\n"),
         (("gold-duplicate-key", GOLD, 12),)),
    # The file names another document.
    Case("gold-document-mismatch", both(plant_gold(""), replace_line(GOLD, 4, f"document: {MACRON}")),
         (("gold-document-mismatch", GOLD, 4),)),
    # Offsets out of range: past the end of the text.
    Case("gold-offsets-out-of-range", plant_gold(entry("relabel", "Douma", 1, "ORG", end=100000)),
         (("gold-offsets-out-of-range", GOLD, 7),)),
    # Offsets reversed: start after end.
    Case("gold-offsets-reversed", plant_gold(entry("relabel", "Douma", 1, "ORG", start=362, end=357)),
         (("gold-offsets-reversed", GOLD, 7),)),
    # Surface text that does not match the text at the offsets.
    Case("gold-anchor-mismatch", plant_gold(entry("relabel", "Douma", 1, "ORG", text="Duma")),
         (("gold-anchor-mismatch", GOLD, 7),)),
    # Overlap: an added span inside an existing one.
    Case("gold-overlap", plant_gold(entry("add", "Poutine", 2, "PER")), (("gold-overlap", GOLD, 7),)),
    # A span that cuts through a token.
    Case("gold-token-boundary", plant_gold(entry("add", "Pout", 4, "PER")), (("gold-token-boundary", GOLD, 7),)),
    # A span that crosses a sentence boundary.
    Case("span-crosses-sentence", plant_gold(entry("add", "conflit. Poutine", 1, "MISC")),
         (("span-crosses-sentence", GOLD, 7),)),
    # The same correction twice.
    Case("gold-duplicate-correction",
         plant_gold(entry("relabel", "Poutine", 3, "PER") + entry("relabel", "Poutine", 3, "PER")),
         (("gold-duplicate-correction", GOLD, 12),)),
    # A correction whose silver span no longer exists (never did here: 'président' is no entity).
    Case("gold-stale-correction", plant_gold(entry("delete", "président")), (("gold-stale-correction", GOLD, 7),)),
    # The annotated text edited after annotation (and by hand: it is no longer derived from the raw file).
    Case("text-edited", edit(TEXT, lambda d: d.replace("mercredi".encode(), "jeudi".encode())),
         (("silver-stale", SILVER, 3), ("text-not-derived", TEXT, 3), ("text-hash-mismatch", TEXT, None))),
    # Text files: a byte-order mark, CRLF line ends, decomposed (NFD) accents, invalid UTF-8, empty.
    Case("text-bom", edit(TEXT, lambda d: b"\xef\xbb\xbf" + d), (("text-bom", TEXT, 1),)),
    Case("text-crlf", edit(TEXT, lambda d: d.replace(b"\n", b"\r\n")), (("text-line-ends", TEXT, 1),)),
    Case("text-nfd", edit(TEXT, lambda d: unicodedata.normalize("NFD", d.decode()).encode()),
         (("text-not-nfc", TEXT, 1),)),
    Case("text-invalid-utf8", edit(TEXT, lambda d: d.replace("Le président".encode(), b"Le pr\xe9sident")),
         (("text-encoding", TEXT, 3),)),
    Case("text-empty", edit(TEXT, lambda d: b""), (("text-empty", TEXT, 1),)),
    # The same four problems in a gold file.
    Case("gold-bom", plant_gold(entry("relabel", "Douma", 1, "ORG"), prefix="\ufeff"), (("gold-bom", GOLD, 1),)),
    Case("gold-crlf", both(plant_gold(entry("relabel", "Douma", 1, "ORG")),
                           edit(GOLD, lambda d: d.replace(b"\n", b"\r\n"))), (("gold-line-ends", GOLD, 1),)),
    Case("gold-nfd", plant_gold(entry("relabel", "Douma", 1, "ORG",
                                      note=unicodedata.normalize("NFD", "l'assemblée"))), (("gold-not-nfc", GOLD, 12),)),
    Case("gold-invalid-utf8", both(plant_gold(entry("relabel", "Douma", 1, "ORG", note="assemblée")),
                                   edit(GOLD, lambda d: d.replace("assemblée".encode(), b"assembl\xe9e"))),
         (("gold-encoding", GOLD, 12),)),
    # Metadata: missing, malformed, wrong types, inconsistent with its file, not UTF-8.
    Case("meta-missing", remove(META), (("meta-missing", META, None),)),
    Case("meta-yaml-syntax", replace_line(META, 5, "title: [unclosed"), (("meta-yaml-syntax", META, 6),)),
    Case("meta-wrong-type", replace_line(META, 8, "authors: nobody"), (("meta-schema", META, 8),)),
    Case("meta-unknown-key", replace_line(META, 15, "note: misspelt"), (("meta-unknown-key", META, 15),)),
    # A key written twice: YAML keeps the last one silently, so a fact could be overwritten unseen.
    Case("meta-duplicate-key", replace_line(META, 15, "title: Un autre titre"), (("meta-duplicate-key", META, 15),)),
    Case("meta-id-mismatch", replace_line(META, 3, f"id: {MACRON}"), (("meta-id-mismatch", META, 3),)),
    Case("meta-language-mismatch", replace_line(META, 4, "language: de"), (("meta-language-mismatch", META, 4),)),
    Case("meta-invalid-utf8", edit(META, lambda d: d.replace("reçoit".encode(), b"re\xe7oit")),
         (("meta-encoding", META, 5),)),
    # Raw article: missing, changed, not UTF-8.
    Case("raw-missing", remove(RAW), (("raw-missing", RAW, None),)),
    Case("raw-changed", edit(RAW, lambda d: d + b"\n"), (("raw-hash-mismatch", RAW, None),)),
    Case("raw-invalid-utf8", edit(RAW, lambda d: d.replace("reçoit".encode(), b"re\xe7oit")),
         (("raw-encoding", RAW, 1),)),
    Case("text-missing", remove(TEXT), (("text-missing", TEXT, None),)),
    # Silver layer: missing, malformed, for another document or language, tokens off the text, not UTF-8.
    Case("silver-missing", remove(SILVER), (("silver-missing", SILVER, None),), build=False),
    Case("silver-malformed", replace_line(SILVER, MOSCOU_LINE, "11\tMoscou\tMoscou"),
         (("silver-format", SILVER, MOSCOU_LINE),)),
    Case("silver-id-mismatch", replace_line(SILVER, 1, f"# newdoc id = {MACRON}"), (("silver-id-mismatch", SILVER, 1),)),
    Case("silver-language-mismatch", replace_line(SILVER, 2, "# polner:language = de"),
         (("silver-language-mismatch", SILVER, 2),)),
    Case("silver-token-mismatch", replace_line(SILVER, MOSCOU_LINE, SILVER_LINES[MOSCOU_LINE - 1].replace(
        "\tMoscou\t", "\tMoskou\t", 1)), (("silver-token-mismatch", SILVER, MOSCOU_LINE),)),
    # (build re-annotates an unreadable silver file, as it does a missing one: it is derived data)
    Case("silver-invalid-utf8", edit(SILVER, lambda d: d.replace(b"\tMoscou\tMoscou", b"\tMoscou\tMosc\xf4u", 1)),
         (("silver-encoding", SILVER, MOSCOU_LINE),), build=False),
    # A tag outside the label set (a model trained on another scheme).
    Case("span-unknown-label", replace_line(SILVER, MOSCOU_LINE, SILVER_LINES[MOSCOU_LINE - 1].replace(
        "ner=S-LOC", "ner=S-CITY")), (("span-unknown-label", SILVER, MOSCOU_LINE),)),
    # Splits: a document in no split, in two, an unknown document or split, malformed, not UTF-8.
    Case("split-missing", edit(SPLITS, lambda d: d.replace(f"- {POUTINE}\n".encode(), b"")),
         (("split-missing", SPLITS, None),)),
    Case("split-duplicate", edit(SPLITS, lambda d: d + f"- {POUTINE}\n".encode()), (("split-duplicate", SPLITS, 7),)),
    Case("split-unknown-document", edit(SPLITS, lambda d: d + b"- fr-ghost\n"),
         (("split-unknown-document", SPLITS, 7),)),
    Case("splits-unknown-split", edit(SPLITS, lambda d: d + b"dev:\n- fr-ghost\n"),
         (("splits-unknown-split", SPLITS, 7),)),
    Case("splits-wrong-type", edit(SPLITS, lambda d: d + b"test: 3\n"), (("splits-schema", SPLITS, 7),)),
    Case("splits-yaml-syntax", edit(SPLITS, lambda d: d + b"test: [\n"), (("splits-yaml-syntax", SPLITS, 8),)),
    Case("splits-invalid-utf8", edit(SPLITS, lambda d: d.replace(b"# moves", b"# m\xf4ves")),
         (("splits-encoding", SPLITS, None),)),
    # A gold or silver file named after no document (a typo): its corrections would never apply.
    Case("gold-orphan", both(plant_gold(""), rename(GOLD, "annotations/fr/gold/fr-vladimir-poutine.yaml")),
         (("gold-orphan", "annotations/fr/gold/fr-vladimir-poutine.yaml", None),)),
    Case("silver-orphan", lambda root: (root / "annotations/fr/silver/notes.txt").write_text("x"),
         (("silver-orphan", "annotations/fr/silver/notes.txt", None),)),
    # No documents at all.
    Case("corpus-empty", lambda root: shutil.rmtree(root / "corpus"), (("corpus-empty", "corpus", None),)),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture corpus with dist/ built from it: the state every bad input is planted into."""
    root = copy_mini(tmp_path_factory.mktemp("built") / "repo")
    result = run_cli(root, "build", "--output", str(root / "dist"), "--quiet", "--stanza-dir", str(root / "none"))
    assert result.code == 0, result.output
    assert (root / "dist" / "polner" / "README.md").is_file()
    return root


@pytest.fixture
def planted(request, built, tmp_path, monkeypatch):
    monkeypatch.setattr(polner.runners, "StanzaAnnotator", ForbiddenAnnotator)
    root = tmp_path / "repo"
    shutil.copytree(built, root)
    request.param.mutate(root)
    return request.param, root


def reported(result_json: dict) -> set[tuple[str, str, int | None]]:
    return {(i["code"], i["path"], i["line"]) for i in result_json["issues"] if i["level"] == "error"}


@pytest.mark.parametrize("planted", CASES, ids=[case.name for case in CASES], indirect=True)
def test_bad_input(planted):
    case, root = planted
    before = snapshot(root)

    result = run_cli(root, "validate")
    assert result.code == 1
    for code, path, line in case.expected:
        where = f"{path}:{line}" if line else path
        assert f"{where}: error[{code}]: " in result.err, result.output
    assert "Traceback" not in result.output
    as_json = run_cli(root, "validate", "--format", "json")
    assert as_json.code == 1
    assert set(case.expected) <= reported(json.loads(as_json.out))
    assert snapshot(root) == before

    if case.build:
        result = run_cli(root, "build", "--output", str(root / "dist"), "--quiet", "--stanza-dir",
                         str(root / "none"))
        assert result.code in (1, 2), result.output
        assert "Traceback" not in result.output
        assert snapshot(root) == before  # dist/ and every input unchanged, no leftover files


@pytest.mark.parametrize("name", ["gold-yaml-syntax", "text-invalid-utf8", "gold-float-offset"])
def test_bad_input_in_a_subprocess_prints_no_traceback(name, built, tmp_path):
    case = next(c for c in CASES if c.name == name)
    root = tmp_path / "repo"
    shutil.copytree(built, root)
    case.mutate(root)
    result = subprocess.run([sys.executable, "-m", "polner", "--root", str(root), "validate"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    code, path, line = case.expected[0]
    assert f"{path}:{line}: error[{code}]" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_all_errors_of_all_files_come_in_one_run(built, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(built, root)
    for name in ("gold-unknown-label", "split-duplicate", "meta-language-mismatch"):
        next(c for c in CASES if c.name == name).mutate(root)
    edit(MACRON_TEXT, lambda d: b"\xef\xbb\xbf" + d)(root)
    issues = reported(json.loads(run_cli(root, "validate", "--format", "json").out))
    assert {("gold-unknown-label", GOLD, 11), ("split-duplicate", SPLITS, 7), ("meta-language-mismatch", META, 4),
            ("text-bom", MACRON_TEXT, 1)} <= issues


def test_github_format_annotates_file_and_line(built, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(built, root)
    next(c for c in CASES if c.name == "gold-overlap").mutate(root)
    next(c for c in CASES if c.name == "meta-missing").mutate(root)
    result = run_cli(root, "validate", "--format", "github")
    assert result.code == 1
    lines = result.out.splitlines()
    assert any(line.startswith(f"::error file={GOLD},line=7,title=polner gold-overlap::'Poutine' at 94:101 overlaps")
               for line in lines), lines
    assert f"::error file={META},title=polner meta-missing::document {POUTINE} has no metadata file " \
           "(hint: `polner ingest` writes one)" in lines
    assert "FAILED with 2 error(s)" in result.err


def test_warnings_alone_pass(built, tmp_path):
    """A correction that changes nothing is a warning: reported at its line, exit code 0."""
    root = tmp_path / "repo"
    shutil.copytree(built, root)
    plant_gold(entry("relabel", "Douma", 1, "LOC"))(root)
    result = run_cli(root, "validate")
    assert result.code == 0
    assert f"{GOLD}:7: warning[gold-redundant-correction]: 'Douma' is already LOC" in result.out
    data = json.loads(run_cli(root, "validate", "--format", "json").out)
    assert (data["ok"], data["errors"]) == (True, 0)
    # besides entity-unresolved warnings for the fixture's unregistered Stanza errors
    assert [i["code"] for i in data["issues"] if i["code"] != "entity-unresolved"] == ["gold-redundant-correction"]


def test_iob2_invalid_is_reported_for_overlapping_final_spans():
    """Overlaps are stopped earlier (gold-overlap); this check guards the conversion to tags."""
    from polner.document import Span
    from polner.silver import parse_silver
    from polner.validate import check_final_spans

    silver = parse_silver((MINI / SILVER).read_text(encoding="utf-8"))
    spans = [Span(0, 16, "PER", "Vladimir Poutine"), Span(9, 16, "PER", "Poutine")]
    issues = check_final_spans(SILVER, None, silver, spans, POUTINE)
    assert [(i.code, i.path) for i in issues] == [("iob2-invalid", SILVER)]
    assert "sentence 1: overlapping spans" in issues[0].message


def test_every_code_is_documented():
    """docs/validation-codes.md lists every code this suite and the package can report."""
    import re

    table = (REPO_ROOT / "docs" / "validation-codes.md").read_text(encoding="utf-8")
    codes = {code for case in CASES for code, _, _ in case.expected}
    for source in (REPO_ROOT / "polner").glob("*.py"):
        text = source.read_text(encoding="utf-8")
        codes |= set(re.findall(r'(?:error|warning)\(\s*"([a-z0-9]+(?:-[a-z0-9]+)+)"', text))
        if 'f"{code_prefix}-encoding"' in text:
            codes |= {f"{layer}-encoding" for layer in ("meta", "raw", "text", "silver", "gold")}
    assert len(codes) > 50
    missing = sorted(code for code in codes if f"`{code}`" not in table)
    assert not missing, f"undocumented codes: {missing}"
