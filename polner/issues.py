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

    def format_github(self) -> str:
        """A GitHub Actions workflow command: shown on the pull request at the file and line."""

        def escape(value: str, *, in_property: bool = False) -> str:
            value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            return value.replace(":", "%3A").replace(",", "%2C") if in_property else value

        properties = [f"file={escape(self.path, in_property=True)}"]
        if self.line:
            properties.append(f"line={self.line}")
        properties.append(f"title={escape(f'polner {self.code}', in_property=True)}")
        message = f"{self.message} (hint: {self.hint})" if self.hint else self.message
        return f"::{self.level.value} {','.join(properties)}::{escape(message)}"

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
