"""What a settings file may hold, checked with pydantic when the file is read (imported only when there is one).

Every key is optional (a missing key keeps the default of ``config.Settings``). The service-wide keys of older
files (``settings.SERVICE_WIDE_KEYS``) are still checked, and only those written in the file are kept, in
``Settings.service_values``, to be moved into the database once. An unknown key is refused, so that
a misspelt key (``adult_day_ned``) is not silently ignored. A problem is one line naming the file, the line, the key
and the reason: ``settings file /home/x/settings.toml, line 3: 'adult_day_end' must be a time of day …``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from coordinator_tui.settings import SERVICE_WIDE_KEYS, Settings, SettingsError
from coordinator_tui.toml_files import TomlFileError, TomlLines, explain, read_toml
from coordinator_tui.validation import FieldError, clean_text

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

_CLOCK_TIME = re.compile(r"([01]?[0-9]|2[0-3]):[0-5][0-9]")
_DEFAULTS = Settings()


def _text(*, max_length: int, required: bool = False) -> Callable[[str], str]:
    """The shared text rule of every field (no control or bidirectional characters, trimmed, bounded)."""

    def check(value: str) -> str:
        try:
            return clean_text(value, "", max_length=max_length, required=required)
        except FieldError as exc:
            raise ValueError(exc.message) from None

    return check


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"is not a time zone name such as Europe/London (got {value!r})") from None
    return value


def _clock_time(value: str) -> str:
    if not _CLOCK_TIME.fullmatch(value):
        raise ValueError(f"must be a time of day as HH:MM, such as 17:00 (got {value!r})")
    return value


_Path = Annotated[str, AfterValidator(_text(max_length=4096))]
_ClockTime = Annotated[str, AfterValidator(_clock_time)]


class SettingsFile(BaseModel):
    """The keys of settings.toml, each with its type and limits: the workstation's own (``config.Settings``) and
    the service-wide ones of older files (their defaults are never used: only the keys written in the file are
    kept, ``model_fields_set``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    service_name: Annotated[str, AfterValidator(_text(max_length=200, required=True))] = ""
    timezone: Annotated[str, AfterValidator(_time_zone)] = ""
    rules_file: _Path = ""
    export_dir: _Path = _DEFAULTS.export_dir
    backup_dir: _Path = _DEFAULTS.backup_dir
    reminder_minutes_before: Annotated[int, Field(ge=0, le=4 * 7 * 24 * 60)] = 0
    child_day_end: _ClockTime = ""
    adult_day_end: _ClockTime = ""
    minutes_between_buildings: Annotated[int, Field(ge=0, le=120)] = 0


def read_settings(path: Path) -> Settings:
    """The settings of the file at ``path``; raises ``SettingsError`` (one line) for any problem."""
    try:
        text, raw = read_toml(path)
    except TomlFileError as exc:
        line = f" (line {exc.line})" if exc.line is not None else ""
        raise SettingsError(f"settings file {path} {exc.reason}{line}") from None
    try:
        checked = SettingsFile.model_validate(raw)
    except ValidationError as exc:
        lines = TomlLines(text)
        found = sorted(
            ((lines.top_level(str(error["loc"][0])), _reason(error)) for error in exc.errors(include_url=False)),
            key=lambda problem: problem[0] or 0,
        )
        problems = [f"line {line}: {reason}" if line is not None else reason for line, reason in found]
        where = ", " if found[0][0] is not None else ": "
        raise SettingsError(f"settings file {path}{where}{'; '.join(problems)}") from None
    found = {key: getattr(checked, key) for key in SERVICE_WIDE_KEYS if key in checked.model_fields_set}
    return Settings(export_dir=checked.export_dir, backup_dir=checked.backup_dir, service_values=found)


def _reason(error: ErrorDetails) -> str:
    key = str(error["loc"][0])
    reason = explain(error, [key])
    if error["type"] == "extra_forbidden":
        keys = list(SettingsFile.model_fields)
        close = difflib.get_close_matches(key, keys, n=1)
        reason += f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(keys)})"
    return reason
