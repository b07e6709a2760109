"""The user's own folders for this app (data and settings), from ``platformdirs``."""

from __future__ import annotations

from pathlib import Path

APP_NAME = "coordinator-tui"


def data_dir() -> Path:
    """The user's data directory for this app (created owner-only on first use)."""
    import platformdirs  # imported when first needed: it is not on the start-up path when --db is given

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
