"""A rules file change on the Service screen, keys only: the file's path typed, what regenerating everyone would
change shown in a confirmation, ``y`` stores the rules and regenerates every checklist, ``n`` changes nothing;
``x`` (back to the shipped rules) and ``g`` (regenerate with the rules in force) ask the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import TransitionItem
from coordinator_tui.services.service_details import service_details
from coordinator_tui.services.transition.milestone_rules import load_rules
from coordinator_tui.services.transition.rules_change import regenerate_everyone
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.service_details import ServiceDetailsScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from tests.postgres_server import both_databases
from tests.test_rules_change import BIRTHDAYS, NORTHSHIRE_RULES, add_patients, what_is_stored
from tests.ui.helpers import SIZE, pilot_test, settle, type_text

pytestmark = both_databases


def welcome_packs(session: Session) -> list[int]:
    query = select(TransitionItem.patient_id).where(TransitionItem.rule_id == "northshire_welcome_pack")
    return sorted(session.exec(query.order_by(col(TransitionItem.patient_id))).all())


def with_patients(db: Database) -> list[int]:
    ids = db.write(add_patients, BIRTHDAYS[:3])
    regenerate_everyone(db, load_rules())
    return ids


async def open_preview(pilot: Pilot[Any], app: CoordinatorApp, path: Path) -> ConfirmScreen:
    await pilot.press("f6")
    await settle(pilot)
    assert isinstance(app.screen, ServiceDetailsScreen)
    await pilot.press("r")
    await settle(pilot)
    assert isinstance(app.screen, FormScreen)
    await type_text(pilot, str(path))
    await pilot.press("enter")
    await settle(pilot)
    confirm = app.screen
    assert isinstance(confirm, ConfirmScreen)
    return confirm


@pilot_test
async def test_a_rules_file_shows_what_would_change_and_y_regenerates_everyone(db: Database, tmp_path: Path) -> None:
    ids = with_patients(db)
    path = tmp_path / "northshire.toml"
    path.write_text(NORTHSHIRE_RULES, encoding="utf-8")
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = db.read(what_is_stored)
        confirm = await open_preview(pilot, app, path)

        assert confirm.question == "Use northshire.toml and regenerate everyone's checklists?"
        assert "Regenerating 3 patients' checklists would change 3 of them." in confirm.detail
        assert "Items: 3 added, " in confirm.detail
        assert db.read(what_is_stored) == before  # the preview wrote nothing

        await pilot.press("y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ServiceDetailsScreen)
        assert db.read(welcome_packs) == ids
        assert service_details(db).milestone_rules_name == "northshire.toml"
        progress = str(screen.query_one("#service-progress").render())
        assert progress.startswith("✔ Checklists regenerated for 3 patients: 3 changed (3 items added")
        assert "northshire.toml" in str(screen.query_one("#service-milestone-rules").render())

        await pilot.press("g")  # the rules in force again: nothing left to change
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "would change nothing" in app.screen.detail
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("x")  # back to the shipped rules: the welcome packs go
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question.startswith("Go back to the shipped rules")
        assert ", 3 removed (to do, no note)." in app.screen.detail
        await pilot.press("y")
        await settle(pilot)
        assert db.read(welcome_packs) == []
        assert service_details(db).milestone_rules == ""


@pilot_test
async def test_n_or_escape_changes_nothing(db: Database, tmp_path: Path) -> None:
    with_patients(db)
    path = tmp_path / "northshire.toml"
    path.write_text(NORTHSHIRE_RULES, encoding="utf-8")
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = db.read(what_is_stored)
        await open_preview(pilot, app, path)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ServiceDetailsScreen)
        assert db.read(what_is_stored) == before

        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, str(path))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ServiceDetailsScreen)
        assert db.read(what_is_stored) == before
        assert service_details(db).milestone_rules == ""
