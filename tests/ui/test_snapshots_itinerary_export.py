"""Snapshot of the itinerary export screen for one family (demo data at the fixed date, 80x24).

The export folder is a fixed relative path, so the picture holds no temporary path. Regenerate after an intended
change with ``pytest tests/ui/test_snapshots_itinerary_export.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from tests.ui.clinic_days_support import open_first_clinic
from tests.ui.helpers import settle
from tests.ui.test_itinerary_export_ui import busiest_family, open_export_from_record

SIZE = (80, 24)


def test_snapshot_export_one_family(demo_db: Database, snap_compare: Any) -> None:
    _clinic_id, patient_id, attendance_id, _booked = busiest_family(demo_db)
    app = CoordinatorApp(database=demo_db, settings=Settings(export_dir="exports/itineraries"))

    async def before(pilot: Pilot[Any]) -> None:
        await open_export_from_record(pilot, demo_db, attendance_id, patient_id)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_snapshot_export_asks_before_writing(demo_db: Database, snap_compare: Any) -> None:
    """The whole next clinic (the demo plants a clash in it): the question asked before anything is written."""
    app = CoordinatorApp(database=demo_db, settings=Settings(export_dir="exports/itineraries"))

    async def before(pilot: Pilot[Any]) -> None:
        await open_first_clinic(pilot, "attendance")
        await pilot.press("E")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)
