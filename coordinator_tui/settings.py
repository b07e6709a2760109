"""One workstation's settings, with their defaults (read from settings.toml by ``config.load_settings``).

``settings.toml`` keeps only what is personal to one workstation: where its exports and backups go. The service's
own details (its name, time zone, clinic-day hours, reminder lead, walking time, milestone rules) are shared by
everyone who uses the database and live there (``models.Service``, ``services.service_details``). An older settings
file may still hold them: they are read and checked as before, kept apart in ``service_values``, moved into the
database once on its first open, and ignored (with a one-line warning) after that.

The export folder is remembered: after an export from the app, ``config.remember_export_dir`` writes the folder used as
``export_dir`` (the file's other lines and comments kept), and the next export starts there. The command line's
``--out`` is not remembered: a script's folder is the script's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from coordinator_tui.user_dirs import data_dir

#: The keys an older settings file may hold that now belong to the service's details in the database.
SERVICE_WIDE_KEYS: tuple[str, ...] = (
    "service_name",
    "timezone",
    "rules_file",
    "reminder_minutes_before",
    "child_day_end",
    "adult_day_end",
    "minutes_between_buildings",
)


@dataclass
class Settings:
    """One workstation's settings. Every value of a settings file is checked when it is read (``config_schema``)."""

    export_dir: str = ""
    backup_dir: str = ""
    #: Service-wide values found in the file (key of ``SERVICE_WIDE_KEYS`` -> checked value), only those written
    #: there: moved into the database's service details once, then ignored (``services.service_details``).
    service_values: dict[str, str | int] = field(default_factory=dict)

    def export_path(self) -> Path:
        return Path(self.export_dir) if self.export_dir else Path.home() / "coordinator-exports"

    def backup_path(self, database_file: Path | None = None) -> Path:
        if self.backup_dir:
            return Path(self.backup_dir)
        if database_file is not None:
            return database_file.parent / "backups"
        return data_dir() / "backups"


class SettingsError(ValueError):
    pass


_TABLE_HEADER = re.compile(r"^\s*\[")
_EXPORT_DIR_LINE = re.compile(r"^\s*export_dir\s*=")


def with_export_dir(text: str, folder: str) -> str:
    """The settings file's ``text`` with ``export_dir`` set to ``folder``: its line replaced (or added before the
    first table, where top-level keys belong), every other line and comment kept as it was."""
    line = f"export_dir = {json.dumps(folder, ensure_ascii=False)}"  # a JSON string is a valid TOML basic string
    lines = text.splitlines()
    first_table = next((i for i, existing in enumerate(lines) if _TABLE_HEADER.match(existing)), len(lines))
    for i, existing in enumerate(lines[:first_table]):
        if _EXPORT_DIR_LINE.match(existing):
            lines[i] = line
            break
    else:
        lines.insert(first_table, line)
    return "\n".join(lines) + "\n"
