"""Where things live (user data directory) and the service's settings.

Database location, in order: ``--db``, the ``COORDINATOR_DB`` environment variable, else
``<user data dir>/coordinator.db``. A value containing ``://`` is a SQLAlchemy URL; anything else a file path.

Settings come from ``settings.toml`` in the user config directory (or the file named by
``COORDINATOR_SETTINGS``); every key is optional.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "coordinator-tui"
REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def data_dir() -> Path:
    """The user's data directory for this app (created owner-only on first use)."""
    import platformdirs  # imported when first needed: it is not on the start-up path when --db is given

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def default_database_path() -> Path:
    return data_dir() / "coordinator.db"


def database_target(cli_value: str | None = None) -> str:
    """The database the user asked for: --db, else COORDINATOR_DB, else the file in the user data dir."""
    if cli_value:
        return cli_value
    env = os.environ.get("COORDINATOR_DB")
    if env:
        return env
    return str(default_database_path())


def shipped_data_file(name: str) -> Path:
    """A file from the repository's data/ directory (milestone rules, discipline defaults)."""
    return REPO_DATA_DIR / name


def ensure_private_dir(path: Path) -> Path:
    """Create a directory readable by the owner only (0700).

    A directory that already exists is left as it is: ``--db ~/clinic.db`` or ``--db /tmp/x.db`` must not
    change the mode of the user's home folder or of /tmp. A file in its place raises NotADirectoryError.
    """
    try:
        path.mkdir(parents=True, mode=0o700)
    except FileExistsError:
        if not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(path)) from None
        return path
    with contextlib.suppress(PermissionError):
        path.chmod(0o700)  # mkdir's mode is narrowed by the umask, never widened; make it exact
    return path


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


def settings_file() -> Path:
    env = os.environ.get("COORDINATOR_SETTINGS")
    return Path(env) if env else config_dir() / "settings.toml"


def load_settings(path: Path | None = None) -> Settings:
    """Read settings.toml if present. A bad file, an unknown key or a bad value raises ``SettingsError``: one line
    naming the file, the line, the key and the reason."""
    path = path or settings_file()
    if not path.exists():
        return Settings()
    from coordinator_tui.config_schema import read_settings  # pydantic: only when there is a file to check

    return read_settings(path)
