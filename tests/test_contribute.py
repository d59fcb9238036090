"""`polner show` and `polner correct`: the contributor's find-and-fix loop on the fixture corpus."""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
import unicodedata

import pytest

from minicorpus import MACRON, POUTINE, REPO_ROOT, copy_mini, gold_path, offsets, run_cli, text_of
from polner.gold import empty_gold_file
from polner.issues import ValidationFailed
from polner.layout import Layout


@pytest.fixture
def repo(tmp_path):
    return copy_mini(tmp_path / "repo")


def show_json(repo, doc_id, *args):
    result = run_cli(repo, "show", doc_id, "--format", "json", *args)
    assert result.code == 0, result.output
    return json.loads(result.out)


def entities(repo, doc_id):
    return {(e["start"], e["end"]): e for s in show_json(repo, doc_id)["sentences"] for e in s["entities"]}


# --- show ---------------------------------------------------------------------------------


def test_show_lists_sentences_tokens_and_entities_with_offsets(repo):
    result = run_cli(repo, "show", POUTINE)
    assert result.code == 0 and result.err == ""
    text = text_of(repo, POUTINE)
    start, end = offsets(text, "Poutine", 3)
    assert f"[4] 233:310  {text[233:310]}" in result.out
    assert "tokens: Selon · le · Kremlin · , · Poutine" in result.out
    assert f"LOC   'Poutine'                    {start}:{end}  stanza" in result.out
    assert "(not created yet" in result.out


def test_show_json_offsets_index_the_document_text(repo):
    data = show_json(repo, POUTINE)
    text = text_of(repo, POUTINE)
    assert data["sentence_count"] == len(data["sentences"]) == 5
    for sentence in data["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        for token in sentence["tokens"]:
            assert text[token["start"] : token["end"]] == token["text"]
        for entity in sentence["entities"]:
            assert text[entity["start"] : entity["end"]] == entity["text"]
            assert entity["provenance"] == "stanza"
    assert [e["text"] for e in data["sentences"][0]["entities"]] == ["Vladimir Poutine", "OTAN", "Moscou"]


def test_show_one_sentence(repo):
    data = show_json(repo, POUTINE, "--sentence", "5")
    assert [s["index"] for s in data["sentences"]] == [5]
    text_output = run_cli(repo, "show", POUTINE, "--sentence", "5").out
    assert "[5] 311:363" in text_output and "[4]" not in text_output


@pytest.mark.parametrize("args, message", [
    (["show", "fr-vladimir-poutine"], f"did you mean {POUTINE}"),
    (["show", POUTINE, "--sentence", "9"], "sentences are numbered 1 to 5"),
    (["show", POUTINE, "--sentence", "0", "--format", "json"], "sentences are numbered 1 to 5"),
])
def test_show_refuses_unknown_document_or_sentence(repo, args, message):
    result = run_cli(repo, *args)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.output


def test_show_marks_corrected_spans_and_deletions(repo):
    run_cli(repo, "correct", MACRON, "--sentence", "4", "--text", "Parlement européen votera le budget", "--delete")
    run_cli(repo, "correct", MACRON, "--sentence", "4", "--text", "Parlement européen", "--add", "ORG")
    out = run_cli(repo, "show", MACRON, "--sentence", "4").out
    assert "ORG   'Parlement européen'         187:205  gold (add, line 11)" in out
    assert "'Parlement européen votera le budget' 187:222  deleted (line 7)" in out
    span = entities(repo, MACRON)[(187, 205)]
    assert (span["label"], span["provenance"], span["gold_line"]) == ("ORG", "gold", 11)


def test_show_still_works_when_the_gold_file_has_errors(repo):
    path = gold_path(repo, POUTINE)
    path.parent.mkdir(parents=True)
    path.write_text(empty_gold_file(POUTINE) + "- action: relabel\n  start: 0\n  end: 16\n  text: Vladimir Putin\n"
                    "  label: ORG\n", encoding="utf-8")
    result = run_cli(repo, "show", POUTINE, "--sentence", "1")
    assert result.code == 0
    assert "PER   'Vladimir Poutine'" in result.out  # the broken correction is not applied
    assert f"annotations/fr/gold/{POUTINE}.yaml:7: error[gold-anchor-mismatch]" in result.out


# --- correct ------------------------------------------------------------------------------


def test_relabel_creates_the_gold_file_and_validates(repo):
    result = run_cli(repo, "correct", POUTINE, "--sentence", "4", "--text", "Poutine", "--relabel", "PER")
    assert result.code == 0, result.output
    start, end = offsets(text_of(repo, POUTINE), "Poutine", 3)
    assert f"relabel LOC → PER 'Poutine' at {start}:{end}" in result.out
    expected = empty_gold_file(POUTINE) + (
        f"- action: relabel\n  start: {start}\n  end: {end}\n  text: Poutine\n  label: PER\n")
    assert gold_path(repo, POUTINE).read_text(encoding="utf-8") == expected
    assert run_cli(repo, "validate").code == 0
    assert entities(repo, POUTINE)[(start, end)]["label"] == "PER"


def test_second_fix_is_one_appended_hunk(repo):
    run_cli(repo, "correct", POUTINE, "--sentence", "4", "--text", "Poutine", "--relabel", "PER")
    before = gold_path(repo, POUTINE).read_text(encoding="utf-8")
    result = run_cli(repo, "correct", POUTINE, "--sentence", "5", "--text", "Poutine", "--add", "PER",
                     "--note", "missed by Stanza: a person, not a place")
    assert result.code == 0, result.output
    after = gold_path(repo, POUTINE).read_text(encoding="utf-8")
    assert after.startswith(before)
    opcodes = [op for op in difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines()).get_opcodes()
               if op[0] != "equal"]
    assert len(opcodes) == 1 and opcodes[0][0] == "insert" and opcodes[0][1] == len(before.splitlines())
    assert "note: 'missed by Stanza: a person, not a place'" in after
    assert run_cli(repo, "validate").code == 0


def test_append_keeps_hand_written_bytes_and_indentation(repo):
    text = text_of(repo, POUTINE)
    start, end = offsets(text, "Douma")
    hand_written = (
        "# hand-written header, kept verbatim   \n"
        f"document:   {POUTINE}\n"
        "status: in-progress\n"
        "reviewers: [alice]\n"
        "corrections:   # one entry so far\n"
        "    - action: relabel   # Douma is the assembly\n"
        f"      start: {start}\n"
        f"      end: {end}\n"
        "      text: \"Douma\"\n"
        "      label: ORG\n"
        "\n"
        "# trailing comment\n"
    )
    path = gold_path(repo, POUTINE)
    path.parent.mkdir(parents=True)
    path.write_bytes(hand_written.encode("utf-8"))
    result = run_cli(repo, "correct", POUTINE, "--sentence", "4", "--text", "Kremlin", "--relabel", "ORG",
                     "--entity", "kremlin")
    assert result.code == 0, result.output
    kremlin = offsets(text, "Kremlin", 1)
    assert path.read_bytes() == hand_written.encode("utf-8") + (
        f"    - action: relabel\n      start: {kremlin[0]}\n      end: {kremlin[1]}\n      text: Kremlin\n"
        f"      label: ORG\n      entity: kremlin\n").encode("utf-8")
    assert "lines 13-18" in result.out
    assert run_cli(repo, "validate").code == 0


def test_file_without_final_newline_gets_one_before_the_entry(repo):
    path = gold_path(repo, MACRON)
    path.parent.mkdir(parents=True)
    path.write_bytes(empty_gold_file(MACRON).rstrip("\n").encode())
    assert run_cli(repo, "correct", MACRON, "--text", "Strasbourg", "--relabel", "LOC").code == 2  # already LOC
    assert run_cli(repo, "correct", MACRON, "--text", "Strasbourg", "--delete").code == 0
    assert path.read_text(encoding="utf-8").startswith(empty_gold_file(MACRON) + "- action: delete\n")


def test_delete_then_add_fixes_a_too_long_span(repo):
    assert run_cli(repo, "correct", MACRON, "--sentence", "4", "--text", "Parlement européen", "--add",
                   "ORG").code == 2  # overlaps the long span: refused until it is deleted
    assert not gold_path(repo, MACRON).exists()
    assert run_cli(repo, "correct", MACRON, "--sentence", "4", "--text", "Parlement européen votera le budget",
                   "--delete").code == 0
    assert run_cli(repo, "correct", MACRON, "--sentence", "4", "--text", "Parlement européen", "--add",
                   "ORG").code == 0
    assert run_cli(repo, "validate").code == 0
    spans = entities(repo, MACRON)
    assert (187, 222) not in spans and spans[(187, 205)]["label"] == "ORG"


def test_occurrence_chooses_among_repeated_text(repo):
    result = run_cli(repo, "correct", POUTINE, "--text", "Poutine", "--add", "PER")
    assert result.code == 2
    assert "occurs 4 times" in result.err and "--occurrence 4: 311:318" in result.err
    assert not gold_path(repo, POUTINE).exists()
    assert run_cli(repo, "correct", POUTINE, "--text", "Poutine", "--occurrence", "4", "--add", "PER").code == 0
    assert entities(repo, POUTINE)[offsets(text_of(repo, POUTINE), "Poutine", 4)]["label"] == "PER"
    assert run_cli(repo, "correct", POUTINE, "--text", "OTAN", "--occurrence", "3", "--delete").code == 2


def test_decomposed_accents_on_the_command_line_are_normalised(repo):
    surface = unicodedata.normalize("NFD", "Union européenne")
    assert run_cli(repo, "correct", MACRON, "--text", surface, "--relabel", "MISC").code == 0
    assert "text: Union européenne\n" in gold_path(repo, MACRON).read_text(encoding="utf-8")


@pytest.mark.parametrize("args, message", [
    (["--sentence", "4", "--text", "Pout", "--delete"], "only inside a token"),
    (["--sentence", "4", "--text", "Poutine", "--relabel", "LOC"], "is already LOC"),
    (["--sentence", "4", "--text", "Poutine", "--add", "PER"], "use --relabel PER"),
    (["--sentence", "2", "--text", "président", "--delete"], "no entity span is exactly 'président'"),
    (["--sentence", "2", "--text", "Poutine", "--delete"], "overlaps PER 'Vladimir Poutine'"),
    (["--sentence", "2", "--text", "Moscou le", "--add", "LOC"], "--text Moscou --delete"),
    (["--sentence", "2", "--text", "Berlin", "--add", "LOC"], "does not occur in sentence 2"),
    (["--text", "conflit. Poutine", "--add", "MISC"], "only across a sentence boundary"),
    (["--sentence", "7", "--text", "Poutine", "--delete"], "numbered 1 to 5"),
    (["--text", "Moscou", "--occurrence", "0", "--delete"], "--occurrence must be 1 to 2"),
])
def test_correct_refuses_what_would_not_apply(repo, args, message):
    result = run_cli(repo, "correct", POUTINE, *args)
    assert result.code == 2, result.output
    assert message in result.err and "Traceback" not in result.output
    assert not gold_path(repo, POUTINE).exists()


def test_correcting_the_same_span_twice_points_at_the_first_entry(repo):
    assert run_cli(repo, "correct", POUTINE, "--sentence", "5", "--text", "Douma", "--relabel", "ORG").code == 0
    before = gold_path(repo, POUTINE).read_bytes()
    result = run_cli(repo, "correct", POUTINE, "--sentence", "5", "--text", "Douma", "--relabel", "MISC")
    assert result.code == 2
    assert f"annotations/fr/gold/{POUTINE}.yaml:7:" in result.err and "already corrected" in result.err
    assert gold_path(repo, POUTINE).read_bytes() == before


@pytest.mark.parametrize("content, message", [
    (f"document: {POUTINE}\nstatus: unreviewed\ncorrections: []\n", ":3: `corrections:` is written in flow style"),
    (f"document: {POUTINE}\ncorrections:\nstatus: unreviewed\n", ":2: `corrections:` must be the last top-level key"),
    (f"document: {POUTINE}\nstatus: unreviewed\ncorrections: null\n", ":3: `corrections:` must be a list"),
    (f"{{document: {POUTINE}, status: unreviewed, corrections: []}}\n", "flow style"),
    (f"document: {POUTINE}\nstatus: unreviewed\n", "'corrections' is a required property"),
    (f"document: {POUTINE}\nstatus: [unreviewed\ncorrections:\n", "invalid YAML"),
])
def test_correct_refuses_files_it_cannot_append_to(repo, content, message):
    path = gold_path(repo, POUTINE)
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    result = run_cli(repo, "correct", POUTINE, "--sentence", "5", "--text", "Douma", "--relabel", "ORG")
    assert result.code in (1, 2) and result.code != 0
    assert message in result.err, result.err
    assert "Traceback" not in result.output
    assert path.read_text(encoding="utf-8") == content


@pytest.mark.parametrize("content, code", [
    (empty_gold_file(POUTINE).replace("\n", "\r\n"), "gold-line-ends"),
    ("\ufeff" + empty_gold_file(POUTINE), "gold-bom"),
    (empty_gold_file(POUTINE) + "- action: relabel\n  start: 1.5\n", "gold-schema"),
])
def test_correct_refuses_a_gold_file_that_does_not_validate(repo, content, code):
    path = gold_path(repo, POUTINE)
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode("utf-8"))
    result = run_cli(repo, "correct", POUTINE, "--sentence", "5", "--text", "Douma", "--relabel", "ORG")
    assert result.code == 1
    assert f"[{code}]" in result.err and "nothing was written" in result.err
    assert path.read_bytes() == content.encode("utf-8")


def test_an_unrelated_stale_correction_does_not_block_a_new_one(repo):
    path = gold_path(repo, POUTINE)
    path.parent.mkdir(parents=True)
    start, end = offsets(text_of(repo, POUTINE), "président")
    path.write_text(empty_gold_file(POUTINE) + f"- action: delete\n  start: {start}\n  end: {end}\n"
                    "  text: président\n", encoding="utf-8")
    assert run_cli(repo, "correct", POUTINE, "--sentence", "5", "--text", "Douma", "--relabel", "ORG").code == 0
    result = run_cli(repo, "validate")
    assert result.code == 1
    assert [line for line in result.err.splitlines() if "error[" in line] == [
        f"annotations/fr/gold/{POUTINE}.yaml:7: error[gold-stale-correction]: no silver span 'président' at "
        f"{start}:{end} to delete (hint: the silver layer changed: re-check this correction against `polner show`)"
    ]


def test_the_final_check_refuses_a_correction_that_would_not_validate(repo, monkeypatch):
    """Whatever resolve_request lets through, nothing that fails validation is written."""
    import polner.contribute as contribute
    from polner.document import Correction

    start, end = offsets(text_of(repo, POUTINE), "Pout")
    monkeypatch.setattr(contribute, "resolve_request",
                        lambda view, request: Correction("add", start, end, "Pout", "PER", None, None, 0))
    with pytest.raises(ValidationFailed) as failure:
        contribute.write_correction(Layout(repo), contribute.CorrectionRequest(POUTINE, "add", "Pout", "PER"))
    assert [i.code for i in failure.value.issues] == ["gold-token-boundary"]
    assert not gold_path(repo, POUTINE).exists()


def test_correct_as_a_subprocess_with_entity_and_note(repo):
    result = subprocess.run(
        [sys.executable, "-m", "polner", "--root", str(repo), "correct", MACRON, "--sentence", "2",
         "--text", "Union européenne", "--relabel", "MISC", "--note", "l'UE: « institution »"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "appended" not in result.stdout and "created annotations/fr/gold/" in result.stdout
    import yaml

    entry = yaml.safe_load(gold_path(repo, MACRON).read_text(encoding="utf-8"))["corrections"][0]
    assert entry == {"action": "relabel", "start": 102, "end": 118, "text": "Union européenne", "label": "MISC",
                     "note": "l'UE: « institution »"}
    # an entity key must exist in the registry and have the span's type: refused, nothing written
    before = gold_path(repo, MACRON).read_bytes()
    refused = subprocess.run(
        [sys.executable, "-m", "polner", "--root", str(repo), "correct", MACRON, "--sentence", "1",
         "--text", "Berlin", "--relabel", "ORG", "--entity", "berlin"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "error[entity-label-mismatch]" in refused.stderr
    assert "Traceback" not in refused.stderr and gold_path(repo, MACRON).read_bytes() == before


def test_a_file_ending_in_a_document_end_marker_is_refused(repo):
    path = gold_path(repo, POUTINE)
    path.parent.mkdir(parents=True)
    content = empty_gold_file(POUTINE) + "...\n"
    path.write_text(content, encoding="utf-8")
    result = run_cli(repo, "correct", POUTINE, "--sentence", "5", "--text", "Douma", "--relabel", "ORG")
    assert result.code == 1
    assert "error[gold-yaml-syntax]" in result.err and "nothing was written" in result.err
    assert path.read_text(encoding="utf-8") == content


def test_append_that_would_change_the_file_is_refused(repo, monkeypatch):
    """The appended file must parse to the old corrections plus exactly the new one."""
    import polner.contribute as contribute

    monkeypatch.setattr(contribute, "correction_block",
                        lambda correction, indent: "- action: delete\n  start: 0\n  end: 16\n  text: Vladimir Poutine\n")
    with pytest.raises(ValidationFailed) as failure:
        contribute.write_correction(Layout(repo), contribute.CorrectionRequest(POUTINE, "relabel", "Douma", "ORG"))
    assert [(i.code, i.line) for i in failure.value.issues] == [("gold-append-failed", 7)]
    assert not gold_path(repo, POUTINE).exists()
