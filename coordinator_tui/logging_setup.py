"""The log file and crash reports: useful to support staff, and free of personal data by construction.

The log (``<user data dir>/logs/coordinator.log``, 0600 in a 0700 folder) records *events*, not text:

    log.info("backup.created", extra={"fields": {"patient_id": 12, "file": Safe(path.name)}})

The formatter writes the event name only if it looks like one (``word.word``), and a field's value only if it
is a number, a boolean, None or explicitly marked ``Safe`` (text the app made itself: file names, error class
names). Anything else, including every message or argument from other libraries, is written as ``<withheld>``.
An exception is written as its type and the place it happened (file, line, function), never its message,
which may quote a patient's details (a database constraint error lists the values it refused).

A crash report (``<user data dir>/crash-reports/crash-<time>-<pid>.txt``, 0600) holds the same: the exception
types and the traceback's frames, never local variables or exception messages.
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import os
import platform
import re
import secrets
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from coordinator_tui.config import data_dir, ensure_private_dir

LOGGER_NAME = "coordinator_tui"
LOG_FILE_NAME = "coordinator.log"
MAX_LOG_BYTES = 1_000_000
LOG_BACKUPS = 3
WITHHELD = "<withheld>"
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_PACKAGE_ROOT = Path(__file__).resolve().parent


class Safe(str):
    """Text the app produced itself and that holds no personal data (a file name it made, a class name)."""

    __slots__ = ()


def log_dir() -> Path:
    return data_dir() / "logs"


def log_path() -> Path:
    return log_dir() / LOG_FILE_NAME


def crash_dir() -> Path:
    return data_dir() / "crash-reports"


# ------------------------------------------------------------------------------------------------------------
# Formatting without personal data
# ------------------------------------------------------------------------------------------------------------


def safe_value(value: object) -> str:
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, Safe):
        return _UNSAFE_CHARS.sub("?", str(value))[:200]
    return WITHHELD


def _short_file(filename: str) -> str:
    """A frame's file, without the folders above the package (which may name the user)."""
    path = Path(filename)
    try:
        return str(Path(_PACKAGE_ROOT.name) / path.resolve().relative_to(_PACKAGE_ROOT))
    except ValueError:
        pass
    parts = path.parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :])
    return "/".join(parts[-2:]) if len(parts) >= 2 else path.name


def exception_type_name(exc: BaseException | type[BaseException]) -> str:
    cls = exc if isinstance(exc, type) else type(exc)
    module = cls.__module__
    return cls.__qualname__ if module in {"builtins", "__main__"} else f"{module}.{cls.__qualname__}"


def _exception_chain(exc: BaseException, limit: int = 5) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < limit:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def frame_lines(tb: TracebackType | None) -> list[str]:
    """'file:line in function' for each frame: where, never what (no locals, no source text, no message)."""
    return [f"{_short_file(f.filename)}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)]


def describe_exception(exc: BaseException) -> list[str]:
    """An exception and its causes as types and frames only, outermost first."""
    lines: list[str] = []
    for position, item in enumerate(_exception_chain(exc)):
        label = "exception" if position == 0 else "caused by"
        lines.append(f"{label}: {exception_type_name(item)}")
        lines.extend(f"  {line}" for line in frame_lines(item.__traceback__))
    return lines


class PrivacyFormatter(logging.Formatter):
    """One line per event: time, level, logger, event name, safe fields; exceptions as types and frames."""

    def format(self, record: logging.LogRecord) -> str:
        moment = dt.datetime.fromtimestamp(record.created, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        msg = record.msg
        event = msg if isinstance(msg, str) and _EVENT_NAME.match(msg) else WITHHELD
        parts = [moment, record.levelname, record.name, event]
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in sorted(fields.items(), key=lambda kv: str(kv[0])):
                name = str(key) if _EVENT_NAME.match(str(key)) else "field"
                parts.append(f"{name}={safe_value(value)}")
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(" | ".join(describe_exception(record.exc_info[1])))
        return " ".join(parts)


class CoordinatorLogFilter(logging.Filter):
    """Our own events from INFO up; other libraries' records only from WARNING up (and those are withheld)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == LOGGER_NAME or record.name.startswith(LOGGER_NAME + "."):
            return True
        return record.levelno >= logging.WARNING


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file is created owner-only, whatever the umask."""

    def _open(self) -> TextIO:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


_installed: logging.Handler | None = None


def configure_logging(path: Path | None = None, *, level: int = logging.INFO) -> Path | None:
    """Send log records to the private log file. Calling again replaces the handler. Never raises.

    Returns the log file, or None when it cannot be written (the app then runs without a log file).
    """
    global _installed
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
        _installed.close()
        _installed = None
    path = path or log_path()
    try:
        ensure_private_dir(path.parent)
        handler = PrivateRotatingFileHandler(
            path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=False
        )
    except OSError:
        return None
    handler.setFormatter(PrivacyFormatter())
    handler.addFilter(CoordinatorLogFilter())
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    logging.getLogger(LOGGER_NAME).setLevel(level)
    _installed = handler
    return path


def shutdown_logging() -> None:
    global _installed
    if _installed is not None:
        logging.getLogger().removeHandler(_installed)
        _installed.close()
        _installed = None


# ------------------------------------------------------------------------------------------------------------
# Crash reports
# ------------------------------------------------------------------------------------------------------------


def crash_report_text(exc: BaseException, *, command: str | None = None) -> str:
    from coordinator_tui import __version__

    lines = [
        "Coordinator TUI crash report",
        "This report holds no personal data: it says where the program failed (file, line, function),",
        "never the values it was working on, and never the error's message text.",
        "",
        f"version: {__version__}",
        f"python: {platform.python_version()}",
        f"platform: {platform.system()} {platform.machine()}",
        f"time: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"command: {safe_value(Safe(command)) if command else 'app'}",
        "",
        *describe_exception(exc),
        "",
    ]
    return "\n".join(lines)


def write_crash_report(exc: BaseException, *, command: str | None = None, folder: Path | None = None) -> Path:
    """Write a crash report (0600, in a 0700 folder) and return its path. Raises OSError if it cannot."""
    folder = folder or crash_dir()
    ensure_private_dir(folder)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"crash-{stamp}-{os.getpid()}-{secrets.token_hex(2)}.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write(crash_report_text(exc, command=command))
    return path


def handle_unexpected(exc: BaseException, *, command: str | None = None, stream: TextIO | None = None) -> int:
    """The last resort for an unexpected exception: a crash report, one line on stderr, exit status 1."""
    stream = stream or sys.stderr
    kind = type(exc).__name__
    logging.getLogger(LOGGER_NAME).error(
        "app.crash", exc_info=(type(exc), exc, exc.__traceback__), extra={"fields": {"command": Safe(command or "app")}}
    )
    try:
        path = write_crash_report(exc, command=command)
    except OSError:
        print(
            f"coordinator-tui: an unexpected error stopped the program ({kind}); no crash report could be written",
            file=stream,
        )
        return 1
    print(
        f"coordinator-tui: an unexpected error stopped the program ({kind}). A crash report without personal data "
        f"is in {path}; please send it to your support contact",
        file=stream,
    )
    return 1


def guard_textual_app(app: Any) -> None:
    """Stop a Textual app printing its crash traceback with local variables (patient records) to the terminal.

    Textual's default for an unhandled exception renders a traceback with ``show_locals=True``. Replace it, on
    this app instance only, with a quiet exit; the caller then reports ``app._exception`` with
    ``handle_unexpected``. (No textual import here: the app is passed in.)
    """

    def quiet_fatal_error() -> None:
        app.bell()
        app._close_messages_no_wait()

    if hasattr(app, "_fatal_error") and hasattr(app, "_close_messages_no_wait"):
        app._fatal_error = quiet_fatal_error


def unexpected_app_exception(app: Any) -> BaseException | None:
    """The unhandled exception that stopped a Textual app, if any."""
    exc = getattr(app, "_exception", None)
    return exc if isinstance(exc, BaseException) else None
