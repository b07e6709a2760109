"""Where things live (user data directory) and one workstation's settings (the service's own details are in the
database: ``services.service_details``).

Database location, in order: ``--db``, the ``COORDINATOR_DB`` environment variable, else
``<user data dir>/coordinator.db``. A value containing ``://`` is a SQLAlchemy URL; anything else a file path.

Settings come from ``settings.toml`` in the user config directory (or the file named by
``COORDINATOR_SETTINGS``); every key is optional.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from coordinator_tui.settings import Settings, SettingsError, with_export_dir
from coordinator_tui.user_dirs import config_dir, data_dir

REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


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


def settings_file() -> Path:
    env = os.environ.get("COORDINATOR_SETTINGS")
    return Path(env) if env else config_dir() / "settings.toml"


def load_settings(path: Path | None = None) -> Settings:
    """Read settings.toml if present. A bad file, an unknown key or a bad value raises ``SettingsError``: one line
    naming the file, the line, the key and the reason.

    Every value is checked with pydantic (``config_schema``). The checked values are remembered, owner-only, in the
    user data folder under a digest of the file's text and of the checker's own source, so that the next start
    with the same file and the same app skips loading pydantic before the first frame; any change to either is
    checked again."""
    path = path or settings_file()
    if not path.exists():
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = None  # the checker says what is wrong with the file
    remembered = None if text is None else _remembered_settings(path, text)
    if remembered is not None:
        return remembered
    from coordinator_tui.config_schema import read_settings  # pydantic: only for a file not checked before

    settings = read_settings(path)
    if text is not None:
        _remember_settings(path, text, settings)
    return settings


_CHECKER_SOURCE = Path(__file__).with_name("config_schema.py")


def _settings_digest(path: Path, text: str, values: dict[str, object]) -> str:
    """A digest of the file (path and text), the checker's source and the checked values: a change to any of them,
    an edited record included, means the file is checked again."""
    import hashlib
    import json

    digest = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape"))
    digest.update(b"\0" + text.encode("utf-8"))
    digest.update(b"\0" + _CHECKER_SOURCE.read_text(encoding="utf-8").encode("utf-8"))
    digest.update(b"\0" + json.dumps(values, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def _checked_settings_file() -> Path:
    return data_dir() / "settings-checked.json"


def _remembered_settings(path: Path, text: str) -> Settings | None:
    """The values checked before for exactly this file text and this checker, else None."""
    import dataclasses
    import json

    try:
        remembered = json.loads(_checked_settings_file().read_text(encoding="utf-8"))
        values = remembered["settings"]
        names = [field.name for field in dataclasses.fields(Settings)]
        if sorted(values) != sorted(names) or remembered["digest"] != _settings_digest(path, text, values):
            return None
        return Settings(**values)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _remember_settings(path: Path, text: str, settings: Settings) -> None:
    """Keep the checked values for the next start (owner-only, replaced whole); a failure only costs speed."""
    import dataclasses
    import json
    import tempfile

    values = dataclasses.asdict(settings)
    record = {"digest": _settings_digest(path, text, values), "settings": values}
    try:
        handle, temporary = tempfile.mkstemp(prefix=".settings-checked-", dir=ensure_private_dir(data_dir()))
    except OSError:
        return
    try:
        try:
            os.write(handle, json.dumps(record).encode("utf-8"))
        finally:
            os.close(handle)
        os.replace(temporary, _checked_settings_file())
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def remember_export_dir(folder: str, path: Path) -> str | None:
    """Keep ``folder`` as the export folder in the settings file at ``path`` (created owner-only if missing), so the
    next export starts there. The new file is checked as the app will read it before it replaces the old one, so a
    folder name the settings cannot hold never stops the app starting. Returns None, or one line saying why the
    folder was not remembered (the export itself was written)."""
    import tempfile

    from coordinator_tui.config_schema import read_settings  # pydantic: loaded only when an export is done

    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError):
        return f"the export folder was not remembered: the settings file {path} cannot be read"
    new_text = with_export_dir(text, folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(prefix=".settings-", suffix=".toml", dir=path.parent)
    except OSError as exc:
        return f"the export folder was not remembered: {exc.strerror or 'the settings folder cannot be written'}"
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(new_text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            read_settings(Path(temporary))
        except SettingsError:
            return "the export folder was not remembered: the settings file would not read back as valid with it"
        os.replace(temporary, path)
        temporary = ""
    except OSError as exc:
        return f"the export folder was not remembered: {exc.strerror or 'the settings file cannot be written'}"
    finally:
        if temporary:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    return None
