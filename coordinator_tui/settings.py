"""One workstation's settings, with their defaults (read from settings.toml by ``config.load_settings``).

``settings.toml`` keeps only what is personal to one workstation: where its exports and backups go. The service's
own details (its name, time zone, clinic-day hours, reminder lead, walking time, milestone rules) are shared by
everyone who uses the database and live there (``models.Service``, ``services.service_details``). An older settings
file may still hold them: they are read and checked as before, kept apart in ``service_values``, moved into the
database once on its first open, and ignored (with a one-line warning) after that.
"""

from __future__ import annotations

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
