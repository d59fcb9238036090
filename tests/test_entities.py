from __future__ import annotations

import pyarrow.parquet as pq
from small_corpus import (FULL_REGISTRY, SANDU, VISIT, copy_corpus, correction, offsets, silver_line,
                          write_gold, write_registry)

from polner.entities import silver_token_lines
from polner.gold import load_gold
from polner.issues import Level
from polner.validate import validate_corpus

REGISTRY = "annotations/entities.yaml"


def validated(layout):
    report = validate_corpus(layout, keep_documents=True)
    return report, {d.meta.id: d for d in report.documents}


def issues_with(report, code):
    return [i for i in report.issues if i.code == code]


def span_at(document, start, end):
    matches = [s for s in document.spans if (s.start, s.end) == (start, end)]
    assert len(matches) == 1
    return matches[0]


# --- the gold `link` action -----------------------------------------------------------


def test_link_sets_the_entity_of_a_silver_span_without_changing_it(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY + "- key: poutine-m\n  type: PER\n  name: M. Poutine\n"
                   "  aliases: [Vladimir Poutine]\n  wikidata: null\n")
    # "Vladimir Poutine" is now ambiguous (two PER entities list it); a link settles it
    write_gold(layout, VISIT, [correction(layout, VISIT, "link", "Vladimir Poutine", entity="vladimir-poutine"),
                               correction(layout, VISIT, "delete", "M. Poutine"),
                               correction(layout, VISIT, "add", "Poutine", label="PER")])
    report, documents = validated(layout)
    assert report.ok, [i.format() for i in report.errors]
    span = span_at(documents[VISIT], *offsets(layout, VISIT, "Vladimir Poutine"))
    assert (span.label, span.provenance, span.entity) == ("PER", "stanza", "vladimir-poutine")


def test_link_of_a_span_added_earlier_in_the_file(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY + "- key: mid\n  type: ORG\n  name: MID\n"
                   "  aliases: [MID]\n  wikidata: null\n")
    ministry = "ministère russe des Affaires étrangères"
    write_gold(layout, SANDU, [correction(layout, SANDU, "delete", "Affaires étrangères"),
                               correction(layout, SANDU, "add", ministry, label="ORG"),
                               correction(layout, SANDU, "link", ministry, entity="mid")])
    report, documents = validated(layout)
    assert report.ok, [i.format() for i in report.errors]
    span = span_at(documents[SANDU], *offsets(layout, SANDU, ministry))
    # the link overrides what the alias lookup would give (ministere-russe-affaires-etrangeres)
    assert (span.label, span.provenance, span.entity) == ("ORG", "gold", "mid")


def test_a_second_link_of_one_span_is_a_duplicate_correction(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    path, lines = write_gold(layout, VISIT, [
        correction(layout, VISIT, "link", "Astana", entity="astana"),
        correction(layout, VISIT, "link", "Astana", entity="kazakhstan")])
    report, _ = validated(layout)
    [issue] = issues_with(report, "gold-duplicate-correction")
    assert (issue.path, issue.line) == (path, lines[1])
    assert "the same link of 'Astana' at " in issue.message and issue.message.endswith(f"is on line {lines[0]}")


def test_a_link_repeating_the_entity_of_an_add_is_redundant(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    path, lines = write_gold(layout, VISIT, [
        correction(layout, VISIT, "relabel", "Kremlin", label="ORG", entity="kremlin"),
        correction(layout, VISIT, "link", "Kremlin", entity="kremlin")])
    report, _ = validated(layout)
    assert report.ok
    [issue] = issues_with(report, "gold-redundant-correction")
    assert (issue.path, issue.line, issue.level) == (path, lines[1], Level.WARNING)


def test_an_entity_error_points_at_the_link_that_set_the_key(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    path, lines = write_gold(layout, VISIT, [
        correction(layout, VISIT, "relabel", "Kremlin", label="ORG"),
        correction(layout, VISIT, "link", "Kremlin", entity="astana")])
    report, _ = validated(layout)
    assert [(i.code, i.path, i.line) for i in report.errors] == [("entity-label-mismatch", path, lines[1])]


def test_link_on_a_missing_span_is_a_stale_correction(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    path, lines = write_gold(layout, VISIT, [correction(layout, VISIT, "link", "Poutine", entity="vladimir-poutine")])
    report, _ = validated(layout)
    [issue] = issues_with(report, "gold-stale-correction")
    assert (issue.path, issue.line, issue.level) == (path, lines[0], Level.ERROR)
    assert "to link" in issue.message


def test_link_takes_an_entity_and_no_label():
    content = ("document: d\nstatus: unreviewed\ncorrections:\n"
               "- {action: link, start: 0, end: 3, text: abc, label: PER, entity: abc}\n"
               "- {action: link, start: 4, end: 7, text: def}\n")
    gold, issues = load_gold("g.yaml", content)
    assert gold is None
    assert [(i.code, i.line) for i in issues] == [("gold-link-label", 4), ("gold-missing-entity", 5)]


# --- resolution ------------------------------------------------------------------------


def test_untouched_silver_spans_resolve_by_type_and_exact_alias(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    report, documents = validated(layout)
    visit = documents[VISIT]
    keys = {s.text: s.entity for s in visit.spans}
    assert keys["Vladimir Poutine"] == "vladimir-poutine"
    assert keys["Kassym-Jomart Tokaïev"] == "kassym-jomart-tokaiev"
    assert keys["Astana"] == "astana"
    # Stanza tags "Kremlin" LOC; the registry's Kremlin is an ORG: unresolved, with a hint to relabel
    assert keys["Kremlin"] is None
    [kremlin] = [i for i in issues_with(report, "entity-unresolved") if "'Kremlin'" in i.message]
    start, _ = offsets(layout, VISIT, "Kremlin")
    assert (kremlin.path, kremlin.line) == (f"annotations/fr/silver/{VISIT}.conllu", silver_line(layout, VISIT, start))
    assert kremlin.level is Level.WARNING  # the document is not reviewed
    assert "kremlin (ORG)" in kremlin.hint
    # "M. Sandu" is listed verbatim as an alias of Maïa Sandu
    assert {s.text: s.entity for s in documents[SANDU].spans}["M. Sandu"] == "maia-sandu"


def test_a_relabelled_span_without_an_entity_resolves_with_its_new_label(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    write_gold(layout, VISIT, [correction(layout, VISIT, "relabel", "Kremlin", label="ORG")])
    report, documents = validated(layout)
    assert span_at(documents[VISIT], *offsets(layout, VISIT, "Kremlin")).entity == "kremlin"
    assert not [i for i in issues_with(report, "entity-unresolved") if "'Kremlin'" in i.message]


def test_an_ambiguous_alias_is_unresolved_and_an_error_once_reviewed(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY + "- key: astana-hotel\n  type: LOC\n  name: Hôtel Astana\n"
                   "  aliases: [Astana]\n  wikidata: null\n")
    report, _ = validated(layout)
    unresolved = [i for i in issues_with(report, "entity-unresolved") if "'Astana'" in i.message]
    assert len(unresolved) == 2 and {i.level for i in unresolved} == {Level.WARNING}
    assert "several LOC entities list it (astana, astana-hotel)" in unresolved[0].message
    assert report.ok

    write_gold(layout, VISIT, [], status="reviewed")
    report, documents = validated(layout)
    unresolved = [i for i in issues_with(report, "entity-unresolved") if "'Astana'" in i.message]
    first, second = (offsets(layout, VISIT, "Astana", n)[0] for n in (0, 1))
    assert [(i.level, i.path, i.line) for i in unresolved] == [
        (Level.ERROR, f"annotations/fr/silver/{VISIT}.conllu", silver_line(layout, VISIT, first)),
        (Level.ERROR, f"annotations/fr/silver/{VISIT}.conllu", silver_line(layout, VISIT, second)),
    ]
    assert not report.ok and VISIT not in documents


def test_a_reviewed_document_without_a_registry_cannot_resolve_its_mentions(tmp_path):
    layout = copy_corpus(tmp_path)
    report, _ = validated(layout)
    assert report.ok  # no registry and nothing reviewed: warnings only
    assert {i.level for i in issues_with(report, "entity-unresolved")} == {Level.WARNING}
    write_gold(layout, SANDU, [], status="reviewed")
    report, _ = validated(layout)
    errors = [i for i in report.errors if i.doc_id == SANDU]
    unresolved = [i for i in errors if i.code == "entity-unresolved"]
    assert len(unresolved) == 8  # every silver span of the document
    assert f"{REGISTRY} does not exist yet" in unresolved[0].hint
    # and without a registry, "M. Sandu" cannot be shown to be a first-name initial
    assert [(i.code, "'M. Sandu'" in i.message) for i in errors if i not in unresolved] == [
        ("guideline-title-in-per", True)]


def test_a_correction_naming_an_unknown_key_is_an_error_at_its_line(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    path, lines = write_gold(layout, VISIT, [
        correction(layout, VISIT, "relabel", "Kremlin", label="ORG"),
        correction(layout, VISIT, "link", "Kassym-Jomart Tokaïev", entity="kassym-tokaiev")])
    report, _ = validated(layout)
    [issue] = issues_with(report, "entity-unknown-key")
    assert (issue.path, issue.line, issue.level) == (path, lines[1], Level.ERROR)
    assert issue.format().startswith(f"{path}:{lines[1]}: error[entity-unknown-key]: entity 'kassym-tokaiev'")


def test_a_key_of_another_type_is_a_label_mismatch_at_the_correction(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    # "Kremlin" stays LOC but is linked to the ORG entity kremlin: one key, two labels
    path, lines = write_gold(layout, VISIT, [
        correction(layout, VISIT, "relabel", "Kassym-Jomart Tokaïev", label="PER"),
        correction(layout, VISIT, "link", "Kremlin", entity="kremlin")])
    report, _ = validated(layout)
    assert [(i.code, i.path, i.line) for i in report.errors] == [("entity-label-mismatch", path, lines[1])]
    assert "LOC span 'Kremlin' is linked to 'kremlin', a ORG entity (annotations/entities.yaml:" in report.errors[0].message


def test_an_added_span_of_the_wrong_type_for_its_key_is_a_label_mismatch(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    path, lines = write_gold(layout, SANDU, [correction(layout, SANDU, "relabel", "Chisinau", label="ORG",
                                                        entity="chisinau")])
    report, _ = validated(layout)
    [issue] = issues_with(report, "entity-label-mismatch")
    assert (issue.path, issue.line) == (path, lines[0])


def test_resolved_keys_reach_the_exported_spans_column(tmp_path):
    from polner.build import export_dataset

    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    write_gold(layout, VISIT, [correction(layout, VISIT, "relabel", "Kremlin", label="ORG"),
                               correction(layout, VISIT, "delete", "M. Poutine"),
                               correction(layout, VISIT, "add", "Poutine", label="PER")], status="reviewed")
    export_dataset(layout, tmp_path / "out", progress=False)
    rows = pq.read_table(tmp_path / "out" / "data/fr/sentences-train.parquet").to_pylist()
    spans = {(s["text"], s["label"]): (s["entity"], s["provenance"]) for row in rows for s in row["spans"]}
    assert spans[("Kremlin", "ORG")] == ("kremlin", "gold")
    assert spans[("Poutine", "PER")] == ("vladimir-poutine", "gold")
    assert spans[("Kassym-Jomart Tokaïev", "PER")] == ("kassym-jomart-tokaiev", "stanza")
    assert all(entity is not None for entity, _ in spans.values())


def test_silver_token_lines_index_surface_tokens_not_words(tmp_path):
    layout = copy_corpus(tmp_path)
    silver_text = layout.silver_path("fr", VISIT).read_text(encoding="utf-8")
    lines = silver_token_lines(silver_text)
    for start in (0, offsets(layout, VISIT, "Kremlin")[0], offsets(layout, VISIT, "Vladimir Poutine")[0]):
        assert lines[start] == silver_line(layout, VISIT, start)
