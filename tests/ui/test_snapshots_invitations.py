"""Snapshots of the invitations screen (the proposed list with reasons, the due family that does not fit) and of the
status dialog on Who's coming, at 80x24 and 120x40, on the invitation tests' clinic at the fixed date (25/11/2026).

Regenerate after an intended change with ``pytest tests/ui/test_snapshots_invitations.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database, open_database
from coordinator_tui.services.clinics import invitations
from coordinator_tui.ui.app import CoordinatorApp
from tests.invitation_helpers import due_world
from tests.ui.helpers import settle, showing

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
Before = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture
def invite_db(tmp_path: Path) -> Iterator[Database]:
    db = open_database(str(tmp_path / "invitations.db"))
    world = db.write(due_world)
    invitations.save_invitations(db, world.clinic_id, [world.patients["Elder"]])
    yield db
    db.dispose()


async def proposed_list(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.app.action_switch_to("clinic_days")
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    await showing(pilot, "never attended (registered 01/02/2026)")  # a loaded machine can draw the table a frame late


async def status_dialog(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.app.action_switch_to("clinic_days")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("w")
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)


VIEWS: dict[str, Before] = {"proposed_list": proposed_list, "status_dialog": status_dialog}


@pytest.mark.parametrize("size", SIZES.keys())
@pytest.mark.parametrize("view", VIEWS.keys())
def test_invitations_snapshot(snap_compare: Any, invite_db: Database, view: str, size: str) -> None:
    app = CoordinatorApp(database=invite_db, settings=Settings())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=VIEWS[view])
