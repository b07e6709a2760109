"""Snapshot of the Import dialog (command palette, "Import a spreadsheet") on the demo data at the fixed date,
after checking a patients file with two bad rows: the summary, the problems and the one-line message.

Regenerate after an intended change with ``pytest tests/ui/test_snapshots_import.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.ui.app import CoordinatorApp
from tests.import_data import PATIENT_HEADER, write_csv
from tests.ui.helpers import settle, steady_cursors, type_text

SIZE = (100, 30)
BAD_ROWS = [
    ["999 000 0018", "FICT0001", "Testchild", "Examplefamily", "31/02/2012", ""],
    ["999 000 0026", "FICT0002", "", "Samplefamily", "02/11/2009", ""],
    ["999 000 0034", "FICT0003", "Thirdchild", "Examplefamily", "01/06/2015", ""],
]


def test_snapshot_import_dialog_with_problems(
    demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snap_compare: Any
) -> None:
    write_csv(tmp_path / "caseload.csv", [*PATIENT_HEADER, "Favourite colour"], [[*r, "blue"] for r in BAD_ROWS])
    monkeypatch.chdir(tmp_path)  # the path typed is relative: the same on every machine
    app = CoordinatorApp(database=demo_db, settings=Settings())

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "Import a spreadsheet")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "caseload.csv")
        await pilot.press("enter")
        await settle(pilot)
        await steady_cursors(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)
