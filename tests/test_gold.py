from polner.document import Span
from polner.gold import apply_corrections, load_gold

TEXT = "Vladimir Poutine a reçu M. Tokaïev au Kremlin."
#       0         1         2         3         4
#       0123456789012345678901234567890123456789012345
TOKEN_STARTS = {0, 9, 17, 19, 24, 27, 35, 38, 45}
TOKEN_ENDS = {8, 16, 18, 23, 26, 34, 37, 45, 46}
SILVER = [Span(0, 16, "PER", "Vladimir Poutine"), Span(24, 34, "PER", "M. Tokaïev"), Span(38, 45, "LOC", "Kremlin")]

HEADER = "document: doc\nstatus: in-progress\ncorrections:\n"


def _apply(body: str):
    gold, issues = load_gold("gold.yaml", HEADER + body)
    assert gold is not None, issues
    return apply_corrections(TEXT, SILVER, gold, TOKEN_STARTS, TOKEN_ENDS)


def test_corrections_fix_boundaries_and_labels_and_record_provenance():
    spans, issues = _apply(
        "- action: delete\n  start: 24\n  end: 34\n  text: M. Tokaïev\n"
        "- action: add\n  start: 27\n  end: 34\n  text: Tokaïev\n  label: PER\n"
        "- action: relabel\n  start: 38\n  end: 45\n  text: Kremlin\n  label: ORG\n"
    )
    assert issues == []
    assert [(s.text, s.label, s.provenance) for s in spans] == [
        ("Vladimir Poutine", "PER", "stanza"), ("Tokaïev", "PER", "gold"), ("Kremlin", "ORG", "gold")]


def test_wrong_surface_text_is_an_error_at_its_line_with_a_hint():
    _, issues = _apply("- action: relabel\n  start: 38\n  end: 45\n  text: Kremlim\n  label: ORG\n"
                       "- action: add\n  start: 0\n  end: 8\n  text: Poutine\n  label: PER\n")
    assert [(i.code, i.line) for i in issues] == [("gold-anchor-mismatch", 4), ("gold-anchor-mismatch", 9)]
    assert issues[1].hint == "'Poutine' occurs at start: 9, end: 16"
    assert "'Kremlim' does not occur" in issues[0].hint


def test_stale_overlapping_and_repeated_corrections_are_reported():
    _, issues = _apply(
        "- action: delete\n  start: 27\n  end: 34\n  text: Tokaïev\n"
        "- action: add\n  start: 27\n  end: 34\n  text: Tokaïev\n  label: PER\n"
        "- action: add\n  start: 27\n  end: 34\n  text: Tokaïev\n  label: PER\n"
        "- action: add\n  start: 9\n  end: 16\n  text: Poutine\n  label: PER\n"
        "- action: add\n  start: 38\n  end: 45\n  text: Kremlin\n  label: LOC\n"
    )
    assert [(i.code, i.line, i.level.value) for i in issues] == [
        ("gold-stale-correction", 4, "error"),
        ("gold-overlap", 8, "error"),
        ("gold-duplicate-correction", 13, "error"),
        ("gold-overlap", 18, "error"),
        ("gold-redundant-correction", 23, "warning"),
    ]


def test_schema_problems_are_reported_at_their_lines():
    gold, issues = load_gold("gold.yaml", HEADER + "- action: add\n  start: -1\n  end: x\n  text: ''\n"
                             "  label: PERSON\n  colour: red\n")
    assert gold is None
    found = {(i.code, i.line, i.message) for i in issues}
    assert ("gold-unknown-label", 8, "unknown label 'PERSON'; labels are PER, ORG, LOC, MISC") in found
    assert {(i.code, i.line) for i in issues} == {
        ("gold-schema", 5), ("gold-schema", 6), ("gold-schema", 7), ("gold-unknown-label", 8),
        ("gold-unknown-key", 9)}


def test_yaml_syntax_errors_and_duplicate_keys_have_lines():
    _, issues = load_gold("gold.yaml", "document: doc\nstatus: [unclosed\n")
    assert [(i.code, i.path) for i in issues] == [("gold-yaml-syntax", "gold.yaml")]
    assert issues[0].line is not None
    _, issues = load_gold("gold.yaml", "document: doc\nstatus: reviewed\nstatus: reviewed\ncorrections:\n")
    assert [(i.code, i.line) for i in issues] == [("gold-duplicate-key", 3)]
