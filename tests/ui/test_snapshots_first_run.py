"""Snapshots of the home screen on an empty database (the Getting started panel), at 80x24 and 120x40.

The database's location is shown as a fixed path, so that the picture does not depend on the test's folder.
Regenerate after an intended change with ``pytest tests/ui/test_snapshots_first_run.py --snapshot-update``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database, open_database
from coordinator_tui.services import setup_progress as setup_progress_module
from coordinator_tui.ui.app import CoordinatorApp
from tests.ui.helpers import settle, steady_cursors

SHOWN_LOCATION = "/home/nurse/coordinator.db"


@pytest.fixture
def empty_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    database: Database = open_database(str(tmp_path / "empty.db"))
    read = setup_progress_module.setup_progress
    monkeypatch.setattr(
        setup_progress_module,
        "setup_progress",
        lambda db: dataclasses.replace(read(db), location=SHOWN_LOCATION),
    )
    yield CoordinatorApp(database=database, settings=Settings())
    database.dispose()


async def steady(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await steady_cursors(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_empty_database_home(size: tuple[int, int], empty_app: CoordinatorApp, snap_compare: Any) -> None:
    assert snap_compare(empty_app, terminal_size=size, run_before=steady)
