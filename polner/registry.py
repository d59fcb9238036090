"""The entity registry, annotations/entities.yaml: one record per real-world entity, with the
spellings (aliases) under which the corpus mentions it. Gold corrections and the validate
stage link mentions to its keys."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jsonschema

from polner.issues import Issue, error
from polner.labels import ENTITY_LABELS, describe_labels
from polner.layout import Layout
from polner.yamlio import YamlSyntaxError, load_located_yaml

REGISTRY_FILE = "entities.yaml"
"""The registry's file name, directly under annotations/ (it is shared by all languages)."""

KEY_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"
WIKIDATA_PATTERN = "^Q[1-9][0-9]*$"

REGISTRY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["entities"],
    "properties": {
        "entities": {"type": ["array", "null"], "items": {"$ref": "#/$defs/entity"}},
    },
    "$defs": {
        "entity": {
            "type": "object",
            "additionalProperties": False,
            "required": ["key", "type", "name", "aliases", "wikidata"],
            "properties": {
                "key": {"type": "string", "pattern": KEY_PATTERN},
                "type": {"enum": list(ENTITY_LABELS)},
                "name": {"type": "string", "minLength": 1},
                "aliases": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
                "wikidata": {"type": ["string", "null"], "pattern": WIKIDATA_PATTERN},
            },
        }
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(REGISTRY_SCHEMA)


@dataclass(frozen=True)
class Entity:
    """One real-world entity: its key, type, canonical name and every spelling seen."""

    key: str
    type: str
    name: str
    aliases: tuple[str, ...]
    wikidata: str | None
    line: int  # where its record starts in the registry file


@dataclass(frozen=True)
class Registry:
    """The entities by key, and which entities each (type, alias) names."""

    path: str
    entities: tuple[Entity, ...] = ()
    exists: bool = True

    @cached_property
    def _by_key(self) -> dict[str, Entity]:
        return {entity.key: entity for entity in self.entities}

    @cached_property
    def _by_alias(self) -> dict[tuple[str, str], tuple[Entity, ...]]:
        index: dict[tuple[str, str], tuple[Entity, ...]] = {}
        for entity in self.entities:
            for alias in dict.fromkeys(entity.aliases):
                index[(entity.type, alias)] = index.get((entity.type, alias), ()) + (entity,)
        return index

    def get(self, key: str) -> Entity | None:
        return self._by_key.get(key)

    def candidates(self, label: str, text: str) -> tuple[Entity, ...]:
        """The entities of type `label` that list `text` verbatim among their aliases."""
        return self._by_alias.get((label, text), ())


def registry_path(layout: Layout) -> Path:
    return layout.annotations / REGISTRY_FILE


def _schema_message(err: jsonschema.ValidationError) -> str:
    where = ".".join(str(part) for part in err.absolute_path) or "the file"
    field = err.absolute_path[-1] if err.absolute_path else None
    if err.validator == "enum" and field == "type":
        return f"{where}: unknown type {err.instance!r}; types are {describe_labels()}"
    if err.validator == "pattern" and field == "key":
        return f"{where}: key {err.instance!r} is not lower-case words joined by '-' ({KEY_PATTERN})"
    if err.validator == "pattern" and field == "wikidata":
        return f"{where}: {err.instance!r} is not a Wikidata item id such as 'Q7747' (or null)"
    if err.validator == "additionalProperties":
        allowed = ", ".join(err.schema.get("properties", {}))
        return f"{where}: {err.message} (allowed keys: {allowed})"
    return f"{where}: {err.message}"


def parse_registry(path_label: str, content: str) -> tuple[Registry | None, list[Issue]]:
    """Parse and check a registry file's text; None (and the issues) when it has an error."""
    try:
        located = load_located_yaml(content)
    except YamlSyntaxError as exc:
        return None, [error("registry-yaml-syntax", path_label, exc.line, str(exc))]
    issues = located.duplicate_key_issues("registry-duplicate-yaml-key", path_label)
    data = located.data
    for err in located.schema_errors(_VALIDATOR):
        issues.append(error("registry-schema", path_label, located.line_of(tuple(err.absolute_path)),
                            _schema_message(err)))
    if issues:
        return None, issues
    entities: list[Entity] = []
    first_line: dict[str, int] = {}
    for index, item in enumerate(data.get("entities") or []):
        line = located.line_of(("entities", index))
        key = item["key"]
        if key in first_line:
            issues.append(error("registry-duplicate-entity", path_label, located.line_of(("entities", index, "key")),
                                f"entity key {key!r} is already defined on line {first_line[key]}",
                                hint="merge the two records or give one another key"))
            continue
        first_line[key] = line
        seen: set[str] = set()
        for position, alias in enumerate(item["aliases"]):
            if alias in seen:
                issues.append(error("registry-duplicate-alias", path_label,
                                    located.line_of(("entities", index, "aliases", position)),
                                    f"{key}: alias {alias!r} is listed twice"))
            seen.add(alias)
        entities.append(Entity(key, item["type"], item["name"], tuple(item["aliases"]), item["wikidata"], line))
    if issues:
        return None, issues
    return Registry(path_label, tuple(entities)), []


def load_registry(layout: Layout) -> tuple[Registry | None, list[Issue]]:
    """The repository's registry; a missing file is an empty registry (`exists` False)."""
    path = registry_path(layout)
    label = layout.relative(path)
    if not path.exists():
        return Registry(label, (), exists=False), []
    try:
        content = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [error("registry-encoding", label, None, f"not valid UTF-8 (byte {exc.start})")]
    return parse_registry(label, content)
