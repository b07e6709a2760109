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
from dataclasses import dataclass, field, fields
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
    service_name: str = "National Alström Syndrome Service"
    timezone: str = "Europe/London"
    # A service's own milestone rules file, layered by rule id on top of the shipped data/milestones.toml
    # (change keys, add rules, switch rules off; see services/milestone_rules.py).
    rules_file: str = ""
    export_dir: str = ""
    backup_dir: str = ""
    reminder_minutes_before: int = 60
    child_day_end: str = "16:00"
    adult_day_end: str = "17:00"
    minutes_between_buildings: int = 10
    extra: dict[str, object] = field(default_factory=dict)

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
    """Read settings.toml if present; unknown keys are kept in ``extra``; a bad file is a clear error."""
    path = path or settings_file()
    if not path.exists():
        return Settings()
    import tomllib  # only when there is a settings file to read

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise SettingsError(f"settings file {path} cannot be read: {exc.strerror}") from exc
    known = {f.name: f for f in fields(Settings) if f.name != "extra"}
    values: dict[str, object] = {}
    extra: dict[str, object] = {}
    for key, value in raw.items():
        if key in known:
            expected = type(getattr(Settings(), key))
            if not isinstance(value, expected):
                raise SettingsError(f"settings file {path}: '{key}' should be a {expected.__name__}")
            values[key] = value
        else:
            extra[key] = value
    return Settings(**values, extra=extra)  # type: ignore[arg-type]
