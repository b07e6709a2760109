"""The app's TOML files (settings, milestone rules): reading one, finding a key's line, explaining what is wrong.

Values are checked by pydantic models (``config_schema``, ``services.milestone_rules``). ``tomllib`` keeps no
positions, so ``TomlLines`` finds the line of a key in the text; ``explain`` turns one pydantic error into a
sentence that names the key and says what it should be.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

_DECODE_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


class TomlFileError(ValueError):
    """The file cannot be read or is not TOML; ``reason`` completes '<what> file …', ``line`` where known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """The text and the parsed table of a TOML file; raises ``TomlFileError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TomlFileError(f"not found: {path}") from None
    except UnicodeDecodeError:
        raise TomlFileError("is not UTF-8 text") from None
    except OSError as exc:
        raise TomlFileError(f"cannot be read: {exc.strerror}") from None
    return text, parse_toml(text)


def parse_toml(text: str) -> dict[str, Any]:
    """The parsed table of TOML text (a file's, or kept in the database); raises ``TomlFileError``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _DECODE_LINE.search(message)
        line = int(match.group(1)) if match else None
        raise TomlFileError(f"is not valid TOML: {_DECODE_LINE.sub('', message)}", line) from None


class TomlLines:
    """Finds the line of a top-level key, or of an entry of an array of tables (``[[name]]``) and its keys.

    Entry positions are only trusted when every entry of the array was written as a ``[[name]]`` header (not as
    an inline array), so that the N-th header is the N-th entry.
    """

    def __init__(self, text: str, array: str | None = None, entries: int = 0) -> None:
        self.lines = text.splitlines()
        self.array = array
        headers: list[int] = []
        if array is not None:
            header = re.compile(rf"^\s*\[\[\s*{re.escape(array)}\s*\]\]\s*(#.*)?$")
            headers = [i for i, line in enumerate(self.lines) if header.match(line)]
        self.headers = headers if len(headers) == entries else []

    def _find(self, key: str, start: int, end: int, table: str) -> int | None:
        """The first line in [start, end) that sets ``key`` (``key =``, ``key.x =``) or opens ``[table]``."""
        pattern = re.compile(rf"^\s*(\"{re.escape(key)}\"|{re.escape(key)})\s*[.=]")
        header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*[\].]")
        for i in range(start, end):
            if pattern.match(self.lines[i]) or header.match(self.lines[i]):
                return i + 1
        return None

    def top_level(self, key: str) -> int | None:
        end = self.headers[0] if self.headers else len(self.lines)
        return self._find(key, 0, end, key)

    def entry(self, index: int, key: str | None = None) -> int | None:
        """The line of ``key`` in the entry, else of the entry's header; None when entries cannot be placed."""
        if not self.headers:
            return None
        start = self.headers[index]
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines)
        found = self._find(key, start + 1, end, f"{self.array}.{key}") if key is not None else None
        return found if found is not None else start + 1


def explain(error: ErrorDetails, path: Sequence[str], allowed: Collection[str] = ()) -> str:
    """One pydantic error as a sentence. ``path`` is the key path of the value as written in the file (list
    indexes and union tags left out); ``allowed`` the keys of the table, shown when a key is unknown (or the kinds
    of a tagged table, shown when its tag is missing)."""
    name = ".".join(path)
    key = path[-1] if path else ""
    parent = ".".join(path[:-1])
    value = error.get("input")
    context: dict[str, Any] = dict(error.get("ctx") or {})
    match error["type"]:
        case "missing":
            return f"'{parent}' needs {key}" if parent else f"needs {key}"
        case "extra_forbidden":
            where = f" in '{parent}'" if parent else ""
            known = f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""
            return f"unknown key '{key}'{where}{known}"
        case "int_type" | "int_parsing" | "int_from_float":
            return f"'{name}' must be a whole number, not {value!r}"
        case "string_type":
            return f"'{name}' must be text in quotes, not {value!r}"
        case "bool_type":
            return f"'{name}' must be true or false, not {value!r}"
        case "greater_than_equal":
            return f"'{name}' must be at least {context['ge']} (got {value!r})"
        case "less_than_equal":
            return f"'{name}' must be at most {context['le']} (got {value!r})"
        case "string_too_short":
            return f"'{name}' must not be empty"
        case "string_too_long":
            return f"'{name}' is too long ({len(str(value).strip())} characters; at most {context['max_length']})"
        case "literal_error" | "enum":
            return f"unknown {key.replace('_', ' ')} {value!r} (expected {context['expected']})"
        case "union_tag_invalid":
            tag = context["discriminator"].strip("'")
            return f"unknown {tag} {context['tag']!r} in '{name}' (expected {context['expected_tags']})"
        case "union_tag_not_found":
            tag = context["discriminator"].strip("'")
            return f"'{name}' needs a {tag}" + (f" (one of: {', '.join(allowed)})" if allowed else "")
        case "model_type" | "model_attributes_type" | "dict_type":
            return f"'{name}' must be a table in braces ({{ key = value, … }}), not {value!r}"
        case "value_error":
            return f"'{name}' {context['error']}" if name else str(context["error"])
    return f"'{name}': {error['msg']}"
