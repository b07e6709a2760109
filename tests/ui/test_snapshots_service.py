"""Snapshots of the Service screen and its form, on an empty database and on the demo's details, at 80x24 and
120x40. Regenerate after an intended change with ``pytest tests/ui/test_snapshots_service.py --snapshot-update``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.ui.app import CoordinatorApp
from tests.test_rules_change import NORTHSHIRE_RULES
from tests.ui.helpers import settle, type_text

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


def keys_then_settle(*keys: str) -> Any:
    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        await settle(pilot)

    return before


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_service_screen_on_an_empty_database(db: Database, snap_compare: Any, size: str) -> None:
    app = CoordinatorApp(database=db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=keys_then_settle("f6"))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_service_form_on_an_empty_database(db: Database, snap_compare: Any, size: str) -> None:
    app = CoordinatorApp(database=db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=keys_then_settle("f6", "e"))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_service_screen_with_the_demo_details(demo_db: Database, snap_compare: Any, size: str) -> None:
    app = CoordinatorApp(database=demo_db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=keys_then_settle("f6"))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_rules_change_preview_on_the_demo(
    demo_db: Database, snap_compare: Any, size: str, tmp_path: Path
) -> None:
    """What a rules file would change on the demo's 40 checklists, in the confirmation before anything is stored."""
    path = tmp_path / "northshire.toml"
    path.write_text(NORTHSHIRE_RULES, encoding="utf-8")
    app = CoordinatorApp(database=demo_db, settings=Settings())

    async def before(pilot: Pilot[Any]) -> None:
        await keys_then_settle("f6", "r")(pilot)
        await type_text(pilot, str(path))
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=before)
