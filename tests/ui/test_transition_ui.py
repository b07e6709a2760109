"""Pilot tests of the transition screens: the patient record's Transition tab and the Caseload screen.

Demo data (40 patients, seed 7) as of the fixed clock (25/11/2026), from ``tests/ui/conftest.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select
from textual.pilot import Pilot

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, Patient, TransitionItem, TransitionStatus
from coordinator_tui.services.people.care_team import team
from coordinator_tui.services.transition import checklists as transition_service
from coordinator_tui.services.transition import engine as transition_engine
from coordinator_tui.services.transition.checklists import CaseloadBucket, DueFlag
from coordinator_tui.services.transition.milestone_rules import CATEGORIES, OWNER_ROLES, load_rules
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.caseload import ROW_LIMIT, CaseloadScreen, CaseloadTable
from coordinator_tui.ui.screens.patient_record import CareTeamTable, PatientRecordScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.transition_list import STAGE_KEY_PREFIX, TransitionList, TransitionTable
from tests.ui.helpers import SIZE, footer_bindings, pilot_test, settle, table_keys, type_text

TODAY = dt.date(2026, 11, 25)
HOSPITAL_NUMBER = "EXH100014"  # Pip Nettlebed: overdue, due, upcoming and done items


def patient_by_number(db: Database, number: str = HOSPITAL_NUMBER) -> Patient:
    with db.session() as session:
        return session.exec(select(Patient).where(Patient.hospital_number == number)).one()


def load_item(db: Database, item_id: int) -> TransitionItem:
    with db.session() as session:
        item = session.get(TransitionItem, item_id)
        assert item is not None
        return item


def audit_events(db: Database, item_id: int) -> list[AuditEvent]:
    with db.session() as session:
        return list(
            session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(item_id)).order_by(col(AuditEvent.id)))
        )


async def open_transition_tab(pilot: Pilot[Any], number: str = HOSPITAL_NUMBER) -> TransitionList:
    await settle(pilot)
    await type_text(pilot, number)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PatientRecordScreen)
    await pilot.press("t")
    await settle(pilot)
    widget = pilot.app.screen.query_one(TransitionList)
    assert widget.loaded
    assert isinstance(pilot.app.focused, TransitionTable)
    return widget


def notifications(app: CoordinatorApp) -> list[str]:
    return [n.message for n in app._notifications]


async def open_caseload(pilot: Pilot[Any]) -> CaseloadScreen:
    await settle(pilot)
    await pilot.press("down", "4")  # out of the patient filter box, then the Caseload key
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CaseloadScreen)
    assert screen.result is not None
    return screen


# ------------------------------------------------------------------------------------------------------------
# The Transition tab
# ------------------------------------------------------------------------------------------------------------


@pilot_test
async def test_tab_groups_by_stage_and_starts_on_the_first_overdue_item(app: CoordinatorApp, demo_db: Database) -> None:
    patient = patient_by_number(demo_db)
    with demo_db.session() as session:
        checklist = transition_service.checklist_for_patient(
            session,
            patient.id,  # type: ignore[arg-type]
            today=TODAY,
            rules=load_rules(),  # the stages in the rules' order, as the tab shows them
        )
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        table = widget.query_one(TransitionTable)
        keys = table_keys(table)
        assert sum(k.startswith(STAGE_KEY_PREFIX) for k in keys) == len(checklist.groups)
        assert [k for k in keys if k.isdigit()] == [str(r.item.id) for r in checklist.rows]
        first_overdue = next(r for r in checklist.rows if r.flag is DueFlag.OVERDUE)
        assert table.selected_key == str(first_overdue.item.id)
        flags = {str(table.get_row(str(r.item.id))[1]) for r in checklist.rows}
        assert flags <= {"⚠ OVERDUE", "● DUE", "○ UPCOMING", "✔ DONE", "– N/A", "✗ MISSED"}  # symbol and word
        assert "⚠ OVERDUE" in flags


@pilot_test
async def test_footer_shows_the_status_keys_and_dims_the_current_status(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        assert widget.selected_row is not None and widget.selected_row.item.status is TransitionStatus.TODO
        shown = dict(footer_bindings(pilot))
        assert shown.get("i") == "set_status('in_progress')"
        assert shown.get("d") == "set_status('done')"
        assert shown.get("n") == "not_applicable"
        assert shown.get("e") == "edit_note"
        assert "o" not in shown  # already to do: the key is dimmed (disabled)
        assert pilot.app.screen.active_bindings["o"].binding.show


@pilot_test
async def test_one_key_marks_done_today_with_an_audit_event(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        row = widget.selected_row
        assert row is not None and row.flag is DueFlag.OVERDUE
        item_id, version = row.item.id, row.item.version
        assert item_id is not None
        events_before = len(audit_events(demo_db, item_id))
        await pilot.press("d")
        await settle(pilot)
        saved = load_item(demo_db, item_id)
        assert saved.status is TransitionStatus.DONE
        assert saved.completed_on == TODAY
        assert saved.version > version
        events = audit_events(demo_db, item_id)
        assert len(events) == events_before + 1, "the change is audited"
        assert "done" in events[-1].after and events[-1].user == "test-coordinator"
        # The list reloaded: the same item is still under the cursor, now done.
        assert widget.selected_row is not None and widget.selected_row.item.id == item_id
        assert widget.selected_row.flag is DueFlag.DONE
        assert str(widget.query_one(TransitionTable).get_row(str(item_id))[3]) == "✔ 25/11/2026"


@pilot_test
async def test_in_progress_then_reopen_a_done_item_asks_first(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        row = widget.selected_row
        assert row is not None and row.item.id is not None
        item_id = row.item.id
        await pilot.press("i")
        await settle(pilot)
        assert load_item(demo_db, item_id).status is TransitionStatus.IN_PROGRESS
        await pilot.press("d")
        await settle(pilot)
        assert load_item(demo_db, item_id).status is TransitionStatus.DONE
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")  # keep it done
        await settle(pilot)
        assert load_item(demo_db, item_id).status is TransitionStatus.DONE
        await pilot.press("o", "y")
        await settle(pilot)
        reopened = load_item(demo_db, item_id)
        assert reopened.status is TransitionStatus.TODO
        assert reopened.completed_on is None


@pilot_test
async def test_not_applicable_needs_a_reason(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        row = widget.selected_row
        assert row is not None and row.item.id is not None
        item_id, before = row.item.id, load_item(demo_db, row.item.id)
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        await pilot.press("enter")  # no reason typed
        await settle(pilot)
        assert pilot.app.screen is form, "the form stays open"
        assert "reason" in form.field_errors
        unchanged = load_item(demo_db, item_id)
        assert (unchanged.status, unchanged.version) == (before.status, before.version)
        await type_text(pilot, "Moved to Scotland")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, FormScreen)
        saved = load_item(demo_db, item_id)
        assert saved.status is TransitionStatus.NOT_APPLICABLE
        assert saved.status_reason == "Moved to Scotland"
        assert widget.selected_row is not None and widget.selected_row.flag is DueFlag.NOT_APPLICABLE


@pilot_test
async def test_note_form_saves_the_note(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        row = widget.selected_row
        assert row is not None and row.item.id is not None
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FormScreen)
        await type_text(pilot, "Letter sent [bold]")  # square brackets are text, never markup
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert load_item(demo_db, row.item.id).note.endswith("Letter sent [bold]")
        assert str(widget.query_one(TransitionTable).get_row(str(row.item.id))[4]) == "✎"  # the Note column
        assert "Letter sent [bold]" in str(widget.query_one("#transition-detail").render())


@pilot_test
async def test_a_stale_save_is_refused_and_reported(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        row = widget.selected_row
        assert row is not None and row.item.id is not None
        item_id = row.item.id
        with demo_db.session() as session:  # someone else saves a note meanwhile
            transition_engine.update_note(session, item_id, "other desk", expected_version=row.item.version)
        await pilot.press("d")
        await settle(pilot)
        assert load_item(demo_db, item_id).status is TransitionStatus.TODO
        assert any("changed by" in text for text in notifications(app))
        # The list reloaded with the other change; the key now works.
        assert widget.selected_row is not None and widget.selected_row.item.note == "other desk"
        await pilot.press("d")
        await settle(pilot)
        assert load_item(demo_db, item_id).status is TransitionStatus.DONE


# ------------------------------------------------------------------------------------------------------------
# The Caseload screen
# ------------------------------------------------------------------------------------------------------------


@pilot_test
async def test_caseload_counts_match_the_domain(app: CoordinatorApp, demo_db: Database) -> None:
    with demo_db.session() as session:
        expected = transition_service.caseload(session, TODAY, limit=ROW_LIMIT)
    assert expected.total > 0
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_caseload(pilot)
        assert screen.result is not None
        assert screen.result.counts == expected.counts
        table = screen.query_one(CaseloadTable)
        assert table_keys(table) == [str(r.item.id) for r in expected.rows]
        counts_line = str(screen.query_one("#caseload-counts").render())
        for bucket in CaseloadBucket:
            assert str(expected.counts[bucket]) in counts_line
        assert f"total {expected.total}" in counts_line
        assert str(table.get_row_at(0)[1]) == expected.rows[0].item.due_date.strftime("%d/%m/%Y")
        assert str(table.get_row_at(0)[0]) == "⚠ OVERDUE"


@pilot_test
async def test_caseload_filters_by_owner_role_and_category(app: CoordinatorApp, demo_db: Database) -> None:
    def domain(owner: str | None, category: str | None) -> transition_service.Caseload:
        with demo_db.session() as session:
            return transition_service.caseload(session, TODAY, owner, category, limit=ROW_LIMIT)

    everything = domain(None, None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_caseload(pilot)
        table = screen.query_one(CaseloadTable)
        await pilot.press("o")
        await settle(pilot)
        assert screen.owner_role == OWNER_ROLES[0]
        by_owner = domain(OWNER_ROLES[0], None)
        assert screen.result is not None and screen.result.counts == by_owner.counts
        assert table_keys(table) == [str(r.item.id) for r in by_owner.rows]
        assert 0 < table.row_count < len(everything.rows)
        assert OWNER_ROLES[0] in str(screen.query_one("#caseload-filters").render())
        await pilot.press("c")
        await settle(pilot)
        assert screen.category == CATEGORIES[0]
        both = domain(OWNER_ROLES[0], CATEGORIES[0])
        assert screen.result is not None and screen.result.counts == both.counts
        assert table_keys(table) == [str(r.item.id) for r in both.rows]
        assert both.total < by_owner.total
        await pilot.press("O")  # back round: owner "all", category kept
        await settle(pilot)
        assert screen.owner_role is None and screen.category == CATEGORIES[0]
        by_category = domain(None, CATEGORIES[0])
        assert screen.result is not None and screen.result.counts == by_category.counts
        assert ("escape", "clear_filters") in footer_bindings(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert (screen.owner_role, screen.category) == (None, None)
        assert screen.result is not None and screen.result.counts == everything.counts
        assert ("escape", "clear_filters") not in footer_bindings(pilot)


@pilot_test
async def test_enter_on_a_caseload_row_opens_the_transition_tab(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_caseload(pilot)
        assert screen.result is not None
        wanted = screen.result.rows[3]
        await pilot.press("down", "down", "down")
        assert screen.query_one(CaseloadTable).selected_key == str(wanted.item.id)
        await pilot.press("enter")
        await settle(pilot)
        record = pilot.app.screen
        assert isinstance(record, PatientRecordScreen)
        assert record.patient_id == wanted.patient.id
        assert record.active_tab == "transition"
        assert record.query_one(TransitionTable).selected_key == str(wanted.item.id)
        assert isinstance(pilot.app.focused, TransitionTable)
        # Opened on the Transition tab, the record's other tabs are built afterwards: the care team is there.
        await pilot.press("c")
        await settle(pilot)
        assert record.active_tab == "care" and isinstance(pilot.app.focused, CareTeamTable)
        with demo_db.session() as session:
            assert record.query_one(CareTeamTable).row_count == len(team(session, wanted.patient.id))  # type: ignore[arg-type]
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(pilot.app.focused, TransitionTable)
        assert record.query_one(TransitionTable).selected_key == str(wanted.item.id)


@pilot_test
async def test_caseload_shows_changes_made_in_a_record(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_caseload(pilot)
        assert screen.result is not None
        before = screen.result.counts[CaseloadBucket.OVERDUE]
        first = screen.result.rows[0]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("d")  # done today on the record's Transition tab
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.result.counts[CaseloadBucket.OVERDUE] == before - 1
        assert str(first.item.id) not in table_keys(screen.query_one(CaseloadTable))


@pilot_test
async def test_done_on_another_date_refuses_the_future(app: CoordinatorApp, demo_db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        widget = await open_transition_tab(pilot)
        row = widget.selected_row
        assert row is not None and row.item.id is not None
        await pilot.press("D")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        await pilot.press("ctrl+u")
        await type_text(pilot, "01/12/2026")
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is form and "completed_on" in form.field_errors
        assert load_item(demo_db, row.item.id).status is TransitionStatus.TODO
        await pilot.press("ctrl+u")
        await type_text(pilot, "03/11/2026")
        await pilot.press("enter")
        await settle(pilot)
        saved = load_item(demo_db, row.item.id)
        assert (saved.status, saved.completed_on) == (TransitionStatus.DONE, dt.date(2026, 11, 3))
