"""Pilot test of invitations with keys only: from a set-up database with a clinic, open its proposed invite list
(i on the clinic list), see why each family is proposed and the due family that does not fit, add a patient,
remove one, invite 3; then on Who's coming confirm 2 and decline 1 (c), filter by status (v); the database is
checked after each step (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from textual.pilot import Pilot

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import AttendanceStatus, ClinicAttendance
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.clinic_days import ClinicDaysScreen, ClinicEventScreen
from coordinator_tui.ui.screens.clinic_invitations import ClinicInvitationsScreen
from coordinator_tui.ui.widgets.clinic_attendance import AttendanceTable, StatusDialog
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.picker import PickerScreen
from tests.invitation_helpers import due_world
from tests.postgres_server import both_databases
from tests.ui.clinic_days_support import screen_text
from tests.ui.helpers import cell_texts, pilot_test, settle, showing, type_text

pytestmark = both_databases


def statuses(db: Database, clinic_id: int) -> dict[str, AttendanceStatus]:
    from coordinator_tui.models import Patient

    with db.read_session() as s:
        rows = s.exec(
            select(ClinicAttendance, Patient)
            .join(Patient, Patient.id == ClinicAttendance.patient_id)  # type: ignore[arg-type]
            .where(ClinicAttendance.clinic_event_id == clinic_id)
        ).all()
        return {p.family_name: a.status for a, p in rows}


async def change_status(pilot: Pilot[Any], row: int, choice: int) -> None:
    """Highlight the row-th family on Who's coming, c, then the choice-th status offered."""
    table = pilot.app.screen.query_one(AttendanceTable)
    table.move_cursor(row=row)
    await pilot.press("c")
    await settle(pilot)
    assert isinstance(pilot.app.screen, StatusDialog)
    for _ in range(choice):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


@pilot_test
async def test_propose_add_remove_invite_then_confirm_decline_and_filter(db: Database) -> None:
    world = db.write(due_world)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.app.action_switch_to("clinic_days")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClinicDaysScreen)
        await pilot.press("i")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ClinicInvitationsScreen) and screen.loaded
        text = await showing(pilot, "never attended (registered 01/02/2026)", "to invite: 3 families")
        assert "never attended (registered 01/02/2026)" in text
        assert "last attended 08/06/2026, review every 6 months: due 08/12/2026" in text
        assert "Due but not on the list (1)" in text and "endocrinology has 0 hours left" in text
        assert "to invite: 3 families" in text

        await pilot.press("a")  # add a patient who is not due
        await settle(pilot)
        assert isinstance(pilot.app.screen, PickerScreen)
        await type_text(pilot, "Elder")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClinicInvitationsScreen)
        assert [c.name for c in screen.chosen][-1] == "Testpatient Elder"
        assert "added by you" in screen_text(pilot)

        await pilot.press("up", "up", "d")  # from Elder (just added) up to Damson: off the list, listed below
        await settle(pilot)
        assert [c.name.split()[-1] for c in screen.chosen] == ["Bramble", "Cherry", "Elder"]
        assert "taken off the list by you" in screen_text(pilot)
        assert statuses(db, world.clinic_id) == {}  # nothing written before i

        await pilot.press("i")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "Invite 3 families?" in screen_text(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClinicDaysScreen)
        invited = AttendanceStatus.INVITED
        assert statuses(db, world.clinic_id) == {"Bramble": invited, "Cherry": invited, "Elder": invited}

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClinicEventScreen)
        await pilot.press("w")
        await settle(pilot)
        await change_status(pilot, 0, 0)  # Bramble: confirmed (the first choice)
        await change_status(pilot, 1, 0)  # Cherry: confirmed
        await change_status(pilot, 2, 1)  # Elder: declined (the second)
        confirmed, declined = AttendanceStatus.CONFIRMED, AttendanceStatus.DECLINED
        assert statuses(db, world.clinic_id) == {"Bramble": confirmed, "Cherry": confirmed, "Elder": declined}
        table = pilot.app.screen.query_one(AttendanceTable)
        assert cell_texts(table, 1) == ["✓ confirmed", "✓ confirmed", "✗ declined"]
        assert all(text.endswith("test-coordinator") for text in cell_texts(table, 2))  # who recorded it

        await pilot.press("v", "v")  # every status -> only invited -> only confirmed
        await settle(pilot)
        assert table.status_filter is confirmed and len(table.shown) == 2
        assert "only confirmed (v)" in screen_text(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert [r.family_name for r in table.shown] == ["Elder"]


@pilot_test
async def test_a_refused_change_is_not_offered_and_the_dialog_names_the_family(db: Database) -> None:
    world = db.write(due_world)
    from coordinator_tui.services.clinics import invitations

    invitations.save_invitations(db, world.clinic_id, [world.patients["Bramble"]])
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.app.action_switch_to("clinic_days")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, StatusDialog)
        offered = [(s.value, by) for s, by in dialog.choices]
        # Before the clinic: no attended / did not attend; cancelling asks who.
        assert offered == [("confirmed", ""), ("declined", ""), ("cancelled", "family"), ("cancelled", "service")]
        assert "Status of Testpatient Bramble" in screen_text(pilot)
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
    with db.read_session() as s:
        row = s.exec(select(ClinicAttendance).where(ClinicAttendance.clinic_event_id == world.clinic_id)).one()
        assert (row.status, row.cancelled_by) == (AttendanceStatus.CANCELLED, "service")


@pilot_test
async def test_exporting_one_family_who_has_not_replied_asks_first(db: Database, tmp_path: Any) -> None:
    from coordinator_tui.services.clinics import invitations
    from coordinator_tui.ui.screens.itinerary_export import ExportScreen

    world = db.write(due_world)
    invitations.save_invitations(db, world.clinic_id, [world.patients["Bramble"]])
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.app.action_switch_to("clinic_days")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        export = pilot.app.screen
        assert isinstance(export, ExportScreen)
        assert "Not confirmed: patient" in screen_text(pilot)
        export.query_one("#export-folder").value = str(tmp_path / "out")  # type: ignore[attr-defined]
        export.query_one("#export-preview").focus()
        await pilot.press("s")
        await settle(pilot)
        question = pilot.app.screen
        assert isinstance(question, ConfirmScreen)
        assert question.question == "Testpatient Bramble has not confirmed. Export their itinerary anyway?"
        await pilot.press("n")  # no: nothing written
        await settle(pilot)
        assert not (tmp_path / "out").exists()
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        # Nothing is booked for them yet: asked too, before anything is written.
        question = pilot.app.screen
        assert isinstance(question, ConfirmScreen) and "no appointment booked" in question.question
        assert not (tmp_path / "out").exists()
        await pilot.press("y")
        await settle(pilot)
        assert export.written is not None and len(export.written) == 3
