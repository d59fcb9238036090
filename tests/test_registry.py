from __future__ import annotations

import pytest
from small_corpus import FULL_REGISTRY, copy_corpus, write_registry

from polner.issues import Level
from polner.layout import Layout
from polner.registry import load_registry, parse_registry
from polner.validate import validate_corpus

PATH = "annotations/entities.yaml"

ENTITY = """\
- key: {key}
  type: {type}
  name: {name}
  aliases: {aliases}
  wikidata: {wikidata}
"""


def registry_text(*entities: dict[str, str]) -> str:
    defaults = {"key": "vladimir-poutine", "type": "PER", "name": "Vladimir Poutine",
                "aliases": "[Vladimir Poutine, Poutine]", "wikidata": "null"}
    return "entities:\n" + "".join(ENTITY.format(**{**defaults, **entity}) for entity in entities)


def only_issue(content: str):
    registry, issues = parse_registry(PATH, content)
    assert registry is None
    assert len(issues) == 1, [i.format() for i in issues]
    return issues[0]


def test_a_valid_registry_loads_into_typed_records():
    registry, issues = parse_registry(PATH, FULL_REGISTRY)
    assert issues == []
    assert registry is not None and registry.exists
    putin = registry.get("vladimir-poutine")
    assert putin is not None
    assert (putin.type, putin.name, putin.aliases, putin.wikidata, putin.line) == (
        "PER", "Vladimir Poutine", ("Vladimir Poutine", "Poutine"), "Q7747", 2)
    assert registry.get("nobody") is None
    assert [e.key for e in registry.candidates("PER", "Poutine")] == ["vladimir-poutine"]
    assert registry.candidates("LOC", "Poutine") == ()  # candidates are per type
    assert registry.candidates("PER", "poutine") == ()  # and exact


def test_an_alias_shared_by_two_entities_is_kept_for_resolution_to_report():
    registry, issues = parse_registry(PATH, registry_text(
        {}, {"key": "vladimir-poutine-senior", "name": "Vladimir Poutine (père)", "aliases": "[Poutine]"}))
    assert issues == []
    assert [e.key for e in registry.candidates("PER", "Poutine")] == ["vladimir-poutine", "vladimir-poutine-senior"]


def test_a_missing_registry_is_empty_not_an_error(tmp_path):
    registry, issues = load_registry(Layout(tmp_path))
    assert issues == []
    assert registry is not None and not registry.exists and registry.entities == ()


def test_yaml_syntax_error_names_the_line():
    issue = only_issue("entities:\n- key: a\n  type: [PER\n")
    assert (issue.code, issue.path, issue.level) == ("registry-yaml-syntax", PATH, Level.ERROR)
    assert issue.line == 4


@pytest.mark.parametrize(
    ("entity", "line", "words"),
    [
        ({"key": "Vladimir_Poutine"}, 2, "lower-case words"),
        ({"type": "PERSON"}, 3, "unknown type 'PERSON'"),
        ({"wikidata": "'7747'"}, 6, "not a Wikidata item id"),
        ({"wikidata": "Q0123"}, 6, "not a Wikidata item id"),
        ({"aliases": "[]"}, 5, "should be non-empty"),
        ({"name": "''"}, 4, "should be non-empty"),
    ],
)
def test_schema_errors_name_the_field_and_its_line(entity, line, words):
    content = registry_text({"key": "astana", "type": "LOC", "name": "Astana", "aliases": "[Astana]"}, entity)
    issue = only_issue(content)
    assert issue.code == "registry-schema"
    assert issue.line == line + 5  # the first entity takes 5 lines after `entities:`
    assert words in issue.message
    assert issue.format().startswith(f"{PATH}:{line + 5}: error[registry-schema]: entities.1.")


def test_an_unknown_field_is_a_schema_error_on_its_entity():
    content = registry_text({}) + "  qid: Q7747\n"
    issue = only_issue(content)
    assert issue.code == "registry-schema"
    assert issue.line == 2
    assert "'qid' was unexpected" in issue.message and "allowed keys: key, type, name, aliases, wikidata" in issue.message


def test_a_missing_field_is_a_schema_error():
    issue = only_issue("entities:\n- key: astana\n  type: LOC\n  name: Astana\n  aliases: [Astana]\n")
    assert issue.code == "registry-schema" and issue.line == 2 and "'wikidata' is a required property" in issue.message


def test_a_duplicate_entity_key_names_both_lines():
    content = registry_text({}, {"name": "Poutine"})
    issue = only_issue(content)
    assert (issue.code, issue.line) == ("registry-duplicate-entity", 7)
    assert "already defined on line 2" in issue.message


def test_an_alias_listed_twice_for_one_entity_is_reported_at_its_line():
    content = ("entities:\n- key: vladimir-poutine\n  type: PER\n  name: Vladimir Poutine\n  aliases:\n"
               "  - Vladimir Poutine\n  - Poutine\n  - Poutine\n  wikidata: null\n")
    issue = only_issue(content)
    assert (issue.code, issue.line) == ("registry-duplicate-alias", 8)
    assert "'Poutine' is listed twice" in issue.message


def test_a_duplicate_yaml_key_is_reported():
    content = registry_text({}) + "  type: LOC\n"
    registry, issues = parse_registry(PATH, content)
    assert registry is None
    assert ("registry-duplicate-yaml-key", 7) in [(i.code, i.line) for i in issues]


def test_validate_reports_a_broken_registry_once_with_file_and_line(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, registry_text({"wikidata": "Putin"}))
    report = validate_corpus(layout)
    broken = [i for i in report.issues if i.code.startswith("registry-")]
    assert [(i.path, i.line, i.code) for i in broken] == [(PATH, 6, "registry-schema")]
    assert not report.ok
    # entity checks are skipped rather than cascading from a registry that could not be read
    assert not [i for i in report.issues if i.code.startswith("entity-")]


def test_validate_reads_a_registry_that_is_not_utf8(tmp_path):
    layout = copy_corpus(tmp_path)
    (layout.annotations / "entities.yaml").write_bytes(b"entities:\n- key: \xe9\n")
    issues = [i for i in validate_corpus(layout).issues if i.code.startswith("registry-")]
    assert [(i.code, i.path) for i in issues] == [("registry-encoding", PATH)]


def test_the_fixture_registry_validates_the_fixture_corpus(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    report = validate_corpus(layout)
    assert report.ok, [i.format() for i in report.errors]
    assert not [i for i in report.issues if i.code.startswith("registry-")]
