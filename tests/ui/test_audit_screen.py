"""The Audit (History) screen: a patient's changes newest first, who and when, field by field, read-only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.widgets import Static

from coordinator_tui import clock
from coordinator_tui.config import Settings
from coordinator_tui.db import Database, open_database
from coordinator_tui.models import AuditEvent
from coordinator_tui.services.people import contacts, patients
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.audit_view import patient_history
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.audit import AuditScreen, AuditTable
from tests.safety_helpers import patient_form
from tests.ui.helpers import cell_texts, pilot_test, settle


@pytest.fixture
def history_db(tmp_path: Path) -> Iterator[tuple[Database, int]]:
    db = open_database(str(tmp_path / "history.db"))
    with db.session() as s:
        patient = patients.create_patient(s, patients.parse_patient_form(patient_form(1)))
        patient_id = patient.id
    assert patient_id is not None
    clock.set_fixed_now(dt.datetime(2026, 11, 25, 14, 30, tzinfo=dt.UTC))
    audit.set_current_user("alice")
    with db.session() as s:
        patients.update_patient(s, patient_id, {"school": "Testschool", "large_print": True}, expected_version=1)
        contact = contacts.create_contact(
            s, patient_id, contacts.parse_contact_form({"name": "Testparent", "phone": "01632 960001"})
        )
    clock.set_fixed_now(dt.datetime(2027, 6, 1, 8, 5, tzinfo=dt.UTC))  # summer time: 09:05 in London
    audit.set_current_user("bob")
    with db.session() as s:
        contacts.delete_contact(s, contact.id)  # type: ignore[arg-type]
    yield db, patient_id
    db.dispose()


def _audit_count(db: Database) -> int:
    with db.session() as s:
        return int(s.exec(sa.select(sa.func.count()).select_from(AuditEvent)).one()[0])  # type: ignore[call-overload]


def test_history_rows(history_db: tuple[Database, int]) -> None:
    db, patient_id = history_db
    with db.session() as s:
        rows = patient_history(s, patient_id)
    assert [(r.when, r.who, r.action) for r in rows] == [
        ("01/06/2027 09:05", "bob", "removed"),
        ("25/11/2026 14:30", "alice", "added"),
        ("25/11/2026 14:30", "alice", "changed"),
        ("25/11/2026 10:00", "test-coordinator", "added"),
    ]
    changed = rows[2]
    assert changed.what == "Patient details" and changed.fields == ("large print", "school")
    assert changed.changes == (("large print", "no", "yes"), ("school", "—", "Testschool"))
    # A removed contact is still named, from the history's own copy of it.
    assert rows[0].what == "Family contact: Testparent (parent)" and "name" in rows[0].fields
    assert rows[1].what == "Family contact: Testparent (parent)"
    assert "date of birth" in rows[3].fields and ("date of birth", "—", "14/03/2011") in rows[3].changes


@pilot_test
async def test_audit_screen_lists_newest_first_and_is_read_only(history_db: tuple[Database, int]) -> None:
    db, patient_id = history_db
    app = CoordinatorApp(database=db, settings=Settings())
    before = _audit_count(db)
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        start_screen = pilot.app.screen
        await pilot.app.push_screen(AuditScreen(patient_id))
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.query_one(AuditTable)
        assert table.has_focus
        assert cell_texts(table, 0) == ["01/06/2027 09:05", "25/11/2026 14:30", "25/11/2026 14:30", "25/11/2026 10:00"]
        assert cell_texts(table, 1) == ["bob", "alice", "alice", "test-coordinator"]
        assert cell_texts(table, 2) == ["removed", "added", "changed", "added"]
        # The fields changed, cut to the column with an ellipsis at this width (the panel below lists them whole).
        assert screen.rows[2].fields_text == "large print, school"
        assert "large print, school".startswith(cell_texts(table, 4)[2].rstrip("…"))
        summary = str(screen.query_one("#audit-summary", Static).render())
        assert "Testgiven1 Testfamily1" in summary and "4 changes" in summary and "Read-only" in summary
        # The panel shows the highlighted change field by field.
        await pilot.press("down", "down")
        await pilot.pause()
        shown = screen.detail_row
        assert shown is not None and (shown.who, shown.action, shown.what) == ("alice", "changed", "Patient details")
        assert ("school", "—", "Testschool") in shown.changes
        # Keys that edit or delete elsewhere do nothing here: the log is unchanged.
        for key in ("e", "d", "delete", "enter", "a", "x", "backspace"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(pilot.app.screen, AuditScreen), key
        assert _audit_count(db) == before
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is start_screen


@pilot_test
async def test_audit_screen_for_a_patient_without_history(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "empty.db"))
    try:
        with db.session() as s:
            patient_id = patients.create_patient(s, patients.parse_patient_form(patient_form(2))).id
        app = CoordinatorApp(database=db, settings=Settings())
        async with app.run_test(size=(110, 30)) as pilot:
            await settle(pilot)
            await pilot.app.push_screen(AuditScreen(999_999))
            await settle(pilot)
            assert isinstance(pilot.app.screen, AuditScreen)
            assert pilot.app.screen.query_one(AuditTable).row_count == 0
            await pilot.press("escape")
            await pilot.app.push_screen(AuditScreen(patient_id))  # type: ignore[arg-type]
            await settle(pilot)
            assert pilot.app.screen.query_one(AuditTable).row_count == 1
    finally:
        db.dispose()


@pilot_test
async def test_history_key_on_the_patient_record_opens_the_audit_screen(history_db: tuple[Database, int]) -> None:
    db, patient_id = history_db
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        await app.open_patient(patient_id)
        await settle(pilot)
        record = pilot.app.screen
        await pilot.press("h")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AuditScreen) and screen.patient_id == patient_id
        assert screen.query_one(AuditTable).row_count == 4
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is record


@pilot_test
async def test_the_history_screen_names_records_and_the_new_named_worker(tmp_path: Path) -> None:
    from coordinator_tui.services.people import care_team, professionals

    db = open_database(str(tmp_path / "named.db"))
    try:
        with db.session() as s:
            patient_id = int(patients.create_patient(s, patients.parse_patient_form(patient_form(3))).id or 0)
            quinn = professionals.create_professional(
                s, {"title": "Dr", "given_name": "Quinn", "family_name": "Gooseberry", "discipline": "cardiology"}
            )
            member = care_team.add_member(s, patient_id, int(quinn.id or 0), {})
        with db.session() as s:
            care_team.make_named_worker(s, int(member.id or 0))
        app = CoordinatorApp(database=db, settings=Settings())
        async with app.run_test(size=(110, 30)) as pilot:
            await settle(pilot)
            await pilot.app.push_screen(AuditScreen(patient_id))
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, AuditScreen)
            table = screen.query_one(AuditTable)
            assert cell_texts(table, 2)[0] == "named worker"
            assert cell_texts(table, 3)[:2] == ["Care team: Dr Quinn Gooseberry (cardiology)"] * 2
            assert not any(text.rstrip().endswith(tuple("0123456789")) for text in cell_texts(table, 3))
            text = "\n".join(strip.text for strip in screen._compositor.render_strips())
            assert "Dr Quinn Gooseberry (cardiology) became the named worker." in text
    finally:
        db.dispose()
