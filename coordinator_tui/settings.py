"""The service's settings, with their defaults (read from settings.toml by ``config.load_settings``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coordinator_tui.user_dirs import data_dir


@dataclass
class Settings:
    """The service's settings. Every value of a settings file is checked when it is read (``config_schema``)."""

    service_name: str = "National Alström Syndrome Service"
    timezone: str = "Europe/London"
    # A service's own milestone rules file, layered by rule id on top of the shipped data/milestones.toml
    # (change keys, add rules, switch rules off; see services/transition/milestone_rules.py).
    rules_file: str = ""
    export_dir: str = ""
    backup_dir: str = ""
    reminder_minutes_before: int = 60
    child_day_end: str = "16:00"
    adult_day_end: str = "17:00"
    minutes_between_buildings: int = 10

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
