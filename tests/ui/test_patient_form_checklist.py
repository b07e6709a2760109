"""The patient form and the transition checklist (issue 19), with keys only from an empty database: a 15-year-old
registered through the form has their checklist at once; editing the date of birth, the EHCP, DLA and the transfer
date moves, adds and removes items in the same save (on the screen and in the database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import Patient, TransitionItem
from coordinator_tui.services import service_details
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen
from coordinator_tui.ui.screens.patients import PatientsScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.transition_list import TransitionList, TransitionTable
from tests.postgres_server import both_databases
from tests.test_patient_transition_fields import SERVICE_RULES
from tests.ui.helpers import SIZE, pilot_test, settle, table_keys, type_text
from tests.ui.test_first_run import screen_text

pytestmark = both_databases


def items(db: Database) -> dict[str, TransitionItem]:
    with db.read_session() as session:
        rows = session.exec(select(TransitionItem).order_by(col(TransitionItem.id))).all()
    found: dict[str, TransitionItem] = {}
    for item in rows:
        found.setdefault(item.rule_id, item)
    return found


def the_patient(db: Database) -> Patient:
    with db.read_session() as session:
        return session.exec(select(Patient)).one()


async def go_to(pilot: Pilot[Any], name: str) -> None:
    """Tab round the form to the field ``name`` (keys only)."""
    for _ in range(40):
        if pilot.app.focused is not None and pilot.app.focused.id == f"field-{name}":
            return
        await pilot.press("tab")
    raise AssertionError(f"no field {name} on the form")


async def replace_text(pilot: Pilot[Any], name: str, text: str) -> None:
    await go_to(pilot, name)
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)


async def tick(pilot: Pilot[Any], name: str) -> None:
    await go_to(pilot, name)
    await pilot.press("space")


async def edit_patient(pilot: Pilot[Any], record: PatientRecordScreen, *changes: tuple[str, str | None]) -> None:
    """``p`` on the record, each change (a field and the text to type, or None to tick the box), Ctrl+S."""
    await pilot.press("p")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FormScreen), screen_text(pilot)
    for name, text in changes:
        if text is None:
            await tick(pilot, name)
        else:
            await replace_text(pilot, name, text)
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert pilot.app.screen is record, screen_text(pilot)


def transition_rows(pilot: Pilot[Any]) -> list[str]:
    table = pilot.app.screen.query_one(TransitionTable)
    return [key for key in table_keys(table) if key.isdigit()]


def row_text(pilot: Pilot[Any], item: TransitionItem) -> str:
    table = pilot.app.screen.query_one(TransitionTable)
    return " ".join(str(cell) for cell in table.get_row(str(item.id)))


@pilot_test
async def test_the_form_makes_and_keeps_the_checklist(db: Database, tmp_path: Path) -> None:
    rules = tmp_path / "service-rules.toml"
    rules.write_text(SERVICE_RULES, encoding="utf-8")
    service_details.load_service_rules(db, str(rules), 0)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormScreen)
        await type_text(pilot, "Testpatient0")
        for value in ("Example", "943 476 5919", "TST00001", "01/06/2011"):  # 15 on the fixed date
            await pilot.press("tab")
            await type_text(pilot, value)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PatientsScreen), screen_text(pilot)

        # Registered: the checklist is there at once.
        await type_text(pilot, "TST00001")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        record = pilot.app.screen
        assert isinstance(record, PatientRecordScreen), screen_text(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert record.query_one(TransitionList).loaded
        made = items(db)
        assert "h3_at_15" in made and {"h3_ehcp", "h3_dla"}.isdisjoint(made)
        assert transition_rows(pilot) and str(made["h3_at_15"].id) in transition_rows(pilot)
        assert "01/12/2026" in row_text(pilot, made["h3_at_15"])

        # The date of birth moves the items dated from it, in the same save.
        await edit_patient(pilot, record, ("date_of_birth", "01/09/2011"))
        moved = items(db)["h3_at_15"]
        assert moved.id == made["h3_at_15"].id and moved.due_date == dt.date(2027, 3, 1)
        assert "01/03/2027" in row_text(pilot, moved)

        # An EHCP with its review date, and DLA with a parent as appointee: their items join the list.
        await edit_patient(
            pilot,
            record,
            ("has_ehcp", None),
            ("ehcp_reviewed_on", "03/02/2026"),
            ("receives_dla", None),
            ("dla_appointee_parent", None),
        )
        now = items(db)
        assert {"h3_ehcp", "h3_dla"} <= set(now)
        assert {str(now["h3_ehcp"].id), str(now["h3_dla"].id)} <= set(transition_rows(pilot))
        assert "EHCP (reviewed 03/02/2026)" in screen_text(pilot) and "DLA, parent appointee" in screen_text(pilot)

        # A planned transfer date moves the items dated from the transfer.
        assert now["h3_before_transfer"].due_date == dt.date(2029, 6, 1)  # assumed at 18, less 3 months
        await edit_patient(pilot, record, ("planned_transfer_date", "01/06/2028"))
        assert items(db)["h3_before_transfer"].due_date == dt.date(2028, 3, 1)
        assert "01/03/2028" in row_text(pilot, items(db)["h3_before_transfer"])

        # Without the EHCP and DLA their items go again (still to do, no note).
        await edit_patient(
            pilot,
            record,
            ("has_ehcp", None),
            ("ehcp_reviewed_on", ""),
            ("receives_dla", None),
            ("dla_appointee_parent", None),
        )
        after = items(db)
        assert {"h3_ehcp", "h3_dla"}.isdisjoint(after)
        assert str(now["h3_dla"].id) not in transition_rows(pilot)

    patient = the_patient(db)
    assert (patient.has_ehcp, patient.receives_dla, patient.planned_transfer_date) == (
        False,
        False,
        dt.date(2028, 6, 1),
    )


@pilot_test
async def test_an_appointee_without_dla_is_refused_on_the_form(db: Database) -> None:
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        await type_text(pilot, "Testpatient0")
        for value in ("Example", "943 476 5919", "TST00001", "01/06/2011"):
            await pilot.press("tab")
            await type_text(pilot, value)
        await tick(pilot, "dla_appointee_parent")
        await replace_text(pilot, "transferred_on", "01/01/2030")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert "Receives DLA" in form.field_errors["dla_appointee_parent"]
        assert "future" in form.field_errors["transferred_on"]
        assert form.values()["given_name"] == "Testpatient0"  # what was typed is kept
    with db.read_session() as session:
        assert session.exec(select(Patient)).first() is None
