from __future__ import annotations

import pytest
from small_corpus import (FULL_REGISTRY, SANDU, VISIT, copy_corpus, correction, offsets, set_silver_tag,
                          silver_line, write_gold, write_registry)

from polner.document import Span, Token
from polner.guidelines import elision_violation, lowercase_violation, title_violation
from polner.issues import Level
from polner.registry import parse_registry
from polner.validate import validate_corpus


def issues_with(layout, code):
    return [i for i in validate_corpus(layout).issues if i.code == code]


def silver_path(doc_id):
    return f"annotations/fr/silver/{doc_id}.conllu"


@pytest.fixture
def layout(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    return layout


# --- guideline-title-in-per --------------------------------------------------------------


def test_a_silver_title_in_per_is_a_warning_until_the_document_is_reviewed(layout):
    start, _ = offsets(layout, VISIT, "M. Poutine")
    [issue] = issues_with(layout, "guideline-title-in-per")
    assert (issue.path, issue.line, issue.level) == (silver_path(VISIT), silver_line(layout, VISIT, start), Level.WARNING)
    assert "PER span 'M. Poutine'" in issue.message and "title 'M.'" in issue.message

    write_gold(layout, VISIT, [], status="reviewed")
    [issue] = issues_with(layout, "guideline-title-in-per")
    assert (issue.path, issue.line, issue.level) == (silver_path(VISIT), silver_line(layout, VISIT, start), Level.ERROR)
    assert issue.format().startswith(f"{silver_path(VISIT)}:{issue.line}: error[guideline-title-in-per]: ")


def test_a_gold_span_starting_with_a_function_is_an_error_at_its_correction(layout):
    path, lines = write_gold(layout, VISIT, [
        correction(layout, VISIT, "delete", "M. Poutine"),
        correction(layout, VISIT, "add", "Poutine", label="PER"),
        correction(layout, VISIT, "delete", "Kassym-Jomart Tokaïev"),
        correction(layout, VISIT, "add", "président Kassym-Jomart Tokaïev", label="PER",
                   entity="kassym-jomart-tokaiev"),
    ])
    [issue] = issues_with(layout, "guideline-title-in-per")
    assert (issue.path, issue.line, issue.level) == (path, lines[3], Level.ERROR)
    assert "title 'président'" in issue.message


def test_m_dot_as_a_first_name_initial_is_allowed_when_the_registry_lists_the_spelling(layout):
    # "M. Sandu" (Maïa Sandu) is listed verbatim as an alias in FULL_REGISTRY
    assert not [i for i in issues_with(layout, "guideline-title-in-per") if "'M. Sandu'" in i.message]
    write_registry(layout, FULL_REGISTRY.replace("aliases: [Maïa Sandu, M. Sandu]", "aliases: [Maïa Sandu]"))
    start, _ = offsets(layout, SANDU, "M. Sandu")
    issues = [i for i in issues_with(layout, "guideline-title-in-per") if "'M. Sandu'" in i.message]
    assert [(i.path, i.line) for i in issues] == [(silver_path(SANDU), silver_line(layout, SANDU, start))]


def test_linking_a_title_span_does_not_make_it_an_initial(layout):
    path, lines = write_gold(layout, VISIT, [correction(layout, VISIT, "link", "M. Poutine", entity="vladimir-poutine")])
    [issue] = issues_with(layout, "guideline-title-in-per")
    assert (issue.path, issue.line, issue.level) == (path, lines[0], Level.ERROR)


def _span(text, label="PER", entity=None):
    return Span(100, 100 + len(text), label, text, entity=entity)


def _first(text):
    word = text.split()[0]
    return Token(word, 100, 100 + len(word), ())


@pytest.mark.parametrize("text", ["M. Poutine", "Mme Sandu", "MM. Poutine", "Monsieur Poutine",
                                  "Président Poutine", "ministre Lavrov", "Premier ministre Michoustine",
                                  "général Guerassimov", "chancelier Scholz", "Dr Martin"])
def test_titles_are_recognised(text):
    assert title_violation(_span(text), _first(text), None)


@pytest.mark.parametrize("text", ["Vladimir Poutine", "Poutine", "Michel Barnier", "Premierowski", "Marine Le Pen"])
def test_names_are_not_titles(text):
    assert title_violation(_span(text), _first(text), None) is None


def test_titles_matter_only_in_per_and_only_m_dot_can_be_an_initial():
    registry, _ = parse_registry("r.yaml", "entities:\n- {key: maia-sandu, type: PER, name: Maïa Sandu, "
                                 "aliases: [Maïa Sandu, M. Sandu, Mme Sandu], wikidata: null}\n")
    assert title_violation(_span("Président Sandu", label="ORG"), _first("Président Sandu"), registry) is None
    assert title_violation(_span("M. Sandu", entity="maia-sandu"), _first("M. Sandu"), registry) is None
    assert title_violation(_span("Mme Sandu", entity="maia-sandu"), _first("Mme Sandu"), registry)
    assert title_violation(_span("M. Sandu", entity=None), _first("M. Sandu"), registry)


# --- guideline-elision-in-span -------------------------------------------------------------


def test_a_span_starting_with_an_elided_article_is_an_error_at_its_correction(layout):
    path, lines = write_gold(layout, SANDU, [
        correction(layout, SANDU, "delete", "Union européenne"),
        correction(layout, SANDU, "add", "l'Union européenne", label="ORG", entity="union-europeenne"),
    ])
    [issue] = issues_with(layout, "guideline-elision-in-span")
    assert (issue.path, issue.line, issue.level) == (path, lines[1], Level.ERROR)
    assert "elided word \"l'\"" in issue.message


def test_a_silver_span_starting_with_an_elision_token_names_the_silver_line(layout):
    start, _ = offsets(layout, VISIT, "l'Union économique eurasiatique")
    set_silver_tag(layout, VISIT, start, "B-ORG")
    set_silver_tag(layout, VISIT, offsets(layout, VISIT, "Union économique")[0], "I-ORG")
    issues = issues_with(layout, "guideline-elision-in-span")
    expected = (silver_path(VISIT), silver_line(layout, VISIT, start), Level.WARNING)
    assert [(i.path, i.line, i.level) for i in issues] == [expected]


@pytest.mark.parametrize(("text", "first"), [("l'Élysée", "l'Élysée"), ("d’Astana", "d’Astana"),
                                               ("L'Élysée", "L'"), ("qu’Astana", "qu’")])
def test_elisions_as_a_token_or_a_lower_case_prefix(text, first):
    span = _span(text, label="LOC")
    assert elision_violation(span, Token(first, 100, 100 + len(first), ()))


@pytest.mark.parametrize("text", ["D'Alema", "O'Neill", "Côte d'Ivoire", "Astana"])
def test_names_with_an_apostrophe_are_not_elisions(text):
    span = _span(text, label="PER")
    assert elision_violation(span, _first(text)) is None


# --- guideline-lowercase-entity ------------------------------------------------------------


def test_a_lowercase_demonym_added_as_an_entity_is_an_error_at_its_correction(layout):
    path, lines = write_gold(layout, VISIT, [
        correction(layout, VISIT, "relabel", "Kremlin", label="ORG"),
        correction(layout, VISIT, "add", "russe", occurrence=1, label="MISC"),
    ])
    assert offsets(layout, VISIT, "diplomatie russe")[1] == offsets(layout, VISIT, "russe", occurrence=1)[1]
    [issue] = issues_with(layout, "guideline-lowercase-entity")
    assert (issue.path, issue.line, issue.level) == (path, lines[1], Level.ERROR)
    assert "MISC span 'russe'" in issue.message


def test_a_lowercase_silver_span_names_the_silver_line(layout):
    start, _ = offsets(layout, SANDU, "moldave")
    set_silver_tag(layout, SANDU, start, "S-MISC")
    [issue] = issues_with(layout, "guideline-lowercase-entity")
    assert (issue.path, issue.line, issue.level) == (silver_path(SANDU), silver_line(layout, SANDU, start), Level.WARNING)


def test_a_name_with_lowercase_words_and_capitals_is_fine(layout):
    write_gold(layout, SANDU, [
        correction(layout, SANDU, "delete", "Affaires étrangères"),
        correction(layout, SANDU, "add", "ministère russe des Affaires étrangères", label="ORG"),
    ], status="reviewed")
    report = validate_corpus(layout)
    assert report.ok, [i.format() for i in report.errors]
    assert not [i for i in report.issues if i.code.startswith("guideline-") and i.doc_id == SANDU]


@pytest.mark.parametrize(("text", "bad"), [("russe", True), ("kazakh", True), ("Kazakh", False),
                                           ("ministère russe des Affaires étrangères", False), ("123", True)])
def test_lowercase_rule(text, bad):
    assert bool(lowercase_violation(_span(text, label="MISC"))) is bad


# --- span-crosses-sentence (check_final_spans) ---------------------------------------------


def test_a_gold_span_across_two_sentences_is_an_error_at_its_correction(layout):
    path, lines = write_gold(layout, VISIT, [
        correction(layout, VISIT, "delete", "Kazakhstan"),
        correction(layout, VISIT, "delete", "Vladimir Poutine"),
        correction(layout, VISIT, "add", "Kazakhstan. Vladimir Poutine", label="LOC"),
    ])
    report = validate_corpus(layout)
    crossing = [i for i in report.issues if i.code == "span-crosses-sentence"]
    assert [(i.path, i.line, i.level) for i in crossing] == [(path, lines[2], Level.ERROR)]
    assert crossing[0].format().startswith(f"{path}:{lines[2]}: error[span-crosses-sentence]: LOC span "
                                           "'Kazakhstan. Vladimir Poutine'")
