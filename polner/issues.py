"""Problems found in the data, reported as records rather than raised one at a time."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Level(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One problem at one place: `path:line: level[code]: message`."""

    level: Level
    code: str
    path: str
    line: int | None
    message: str
    hint: str | None = None
    doc_id: str | None = None

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.level.value}[{self.code}]: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "code": self.code,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
            "doc_id": self.doc_id,
        }


def error(code: str, path: str, line: int | None, message: str, hint: str | None = None,
          doc_id: str | None = None) -> Issue:
    return Issue(Level.ERROR, code, path, line, message, hint, doc_id)


def warning(code: str, path: str, line: int | None, message: str, hint: str | None = None,
            doc_id: str | None = None) -> Issue:
    return Issue(Level.WARNING, code, path, line, message, hint, doc_id)


class PolnerError(Exception):
    """An error the CLI reports as one clean message (no traceback)."""


class ValidationFailed(PolnerError):
    """The data has errors; `issues` holds all of them."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        errors = sum(issue.level is Level.ERROR for issue in issues)
        super().__init__(f"validation failed with {errors} error(s)")
