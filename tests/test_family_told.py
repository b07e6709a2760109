"""The "told" record: a withdrawal stays on the families-to-tell list until the family is recorded as told after its
cancellation was sent; a new export alone does not clear it. Validation, the audit log, and the command line
(``tell --record``). On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from coordinator_tui import clock
from coordinator_tui.cli import main
from coordinator_tui.db import Database
from coordinator_tui.export.service import export_itineraries
from coordinator_tui.models import (
    Appointment,
    AttendanceStatus,
    AuditEvent,
    ClinicAttendance,
    FamilyTold,
    ToldHow,
)
from coordinator_tui.services.clinics import appointments, clinics
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.services.itineraries.families_to_tell import (
    NOT_SENT_YET,
    SENT_ON,
    FamilyToTell,
    clinic_families_to_tell,
)
from coordinator_tui.services.itineraries.family_told import record_family_told, told_history
from coordinator_tui.services.safety import audit
from coordinator_tui.validation import ValidationError
from tests.export_data import Seed, seed_clinic
from tests.postgres_server import both_databases

pytestmark = both_databases


def later(hours: int = 1) -> None:
    clock.set_fixed_now(clock.now() + dt.timedelta(hours=hours))


@pytest.fixture
def seed(db: Database, tmp_path: Path) -> Seed:
    """The seeded clinic (29–30/03/2027), the family under test exported on 25/11/2026, then an hour on."""
    with db.session() as session:
        seeded = seed_clinic(session)
    export_itineraries(db, seeded.clinic_id, seeded.patient_id, tmp_path / "first", formats=["ics"])
    later()
    return seeded


def _place(session: Session, seed: Seed) -> ClinicAttendance:
    return session.exec(
        select(ClinicAttendance).where(
            ClinicAttendance.clinic_event_id == seed.clinic_id, ClinicAttendance.patient_id == seed.patient_id
        )
    ).one()


def delete_dietetics(db: Database, seed: Seed) -> None:
    with db.session() as session:
        appointment = session.exec(
            select(Appointment).where(Appointment.patient_id == seed.patient_id, Appointment.discipline == "Dietetics")
        ).one()
        appointments.delete_appointment(session, appointment.id or 0)
    later()


def family(db: Database, seed: Seed) -> FamilyToTell | None:
    found = {f.patient_id: f for f in clinic_families_to_tell(db, seed.clinic_id)}
    return found.get(seed.patient_id)


def export(db: Database, seed: Seed, tmp_path: Path, name: str) -> None:
    export_itineraries(db, seed.clinic_id, seed.patient_id, tmp_path / name, formats=["ics"])
    later()


def tell(db: Database, seed: Seed, **values: object) -> FamilyTold:
    arguments: dict[str, object] = {"how": "phone", "told_on": "25/11/2026", "told_by": "Nurse Example", "note": ""}
    arguments.update(values)
    record = record_family_told(db, seed.clinic_id, seed.patient_id, **arguments)  # type: ignore[arg-type]
    later()
    return record


# ------------------------------------------------------------------------------------------------------------
# The list
# ------------------------------------------------------------------------------------------------------------


def test_a_withdrawal_stays_until_told_and_an_export_alone_does_not_clear_it(
    db: Database, seed: Seed, tmp_path: Path
) -> None:
    delete_dietetics(db, seed)
    listed = family(db, seed)
    assert listed is not None and listed.withdrawal and listed.unsent and listed.mark == "! send"
    assert listed.reasons[0].text.endswith(NOT_SENT_YET)
    export(db, seed, tmp_path, "second")
    listed = family(db, seed)
    assert listed is not None and listed.withdrawal and not listed.unsent and listed.mark == "! tell"
    assert listed.reasons[0].text.endswith(SENT_ON.format("25/11/2026"))
    export(db, seed, tmp_path, "third")  # exporting again changes nothing
    assert family(db, seed) == listed
    tell(db, seed)
    assert family(db, seed) is None
    export(db, seed, tmp_path, "fourth")  # the cancellation goes on being sent; nothing comes back to tell
    assert family(db, seed) is None


def test_told_before_the_cancellation_was_sent_does_not_clear_it(
    db: Database, db_url: str, seed: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    delete_dietetics(db, seed)
    tell(db, seed)  # told on the phone, before exporting the cancellation
    listed = family(db, seed)
    assert listed is not None and listed.unsent and listed.last_told == dt.date(2026, 11, 25)
    assert main(["tell", "--clinic", str(seed.clinic_id), "--db", db_url]) == 0
    assert "(last recorded as told 25/11/2026): appointment Dietetics" in capsys.readouterr().out
    export(db, seed, tmp_path, "second")
    assert family(db, seed) is not None  # the cancellation was sent after they were told: tell them it is sent
    tell(db, seed, how="letter")
    assert family(db, seed) is None


def test_a_new_withdrawal_after_being_told_is_listed_again(db: Database, seed: Seed, tmp_path: Path) -> None:
    delete_dietetics(db, seed)
    export(db, seed, tmp_path, "second")
    tell(db, seed)
    assert family(db, seed) is None
    with db.session() as session:
        clinics.update_attendance(session, _place(session, seed).id or 0, {"travel_home_depart": None,
                                                                          "travel_home_arrive": None})  # fmt: skip
    later()
    listed = family(db, seed)
    assert listed is not None and [r.text for r in listed.reasons] == [f"travel home removed: {NOT_SENT_YET}"]


def test_a_change_is_cleared_by_the_export_and_a_withdrawal_by_telling(
    db: Database, seed: Seed, tmp_path: Path
) -> None:
    delete_dietetics(db, seed)
    with db.session() as session:
        clinics.update_attendance(session, _place(session, seed).id or 0, {"hotel_reference": "HTL-77"})
    later()
    listed = family(db, seed)
    assert listed is not None and [r.withdrawal for r in listed.reasons] == [False, True]
    export(db, seed, tmp_path, "second")
    listed = family(db, seed)
    assert listed is not None and [r.withdrawal for r in listed.reasons] == [True]
    tell(db, seed)
    assert family(db, seed) is None


def test_a_family_that_declined_stays_until_told(db: Database, seed: Seed, tmp_path: Path) -> None:
    with db.session() as session:
        clinics.update_attendance(session, _place(session, seed).id or 0, {"status": AttendanceStatus.DECLINED})
    later()
    export(db, seed, tmp_path, "second")  # their cancellation-only file
    export(db, seed, tmp_path, "third")
    listed = family(db, seed)
    assert listed is not None and listed.mark == "! tell"
    tell(db, seed, how="in person")
    assert family(db, seed) is None


# ------------------------------------------------------------------------------------------------------------
# The record
# ------------------------------------------------------------------------------------------------------------


def test_the_record_is_kept_and_audited_as_the_operating_system_user(db: Database, seed: Seed) -> None:
    audit.set_current_user(None)
    record = tell(db, seed, how="email", told_by="  Nurse Example ", note="Mum will delete the events herself.")
    assert (record.how, record.told_on, record.told_by) == (ToldHow.EMAIL, dt.date(2026, 11, 25), "Nurse Example")
    assert record.recorded_by.startswith(audit.current_user())  # on a server, with its role, as the log says
    [kept] = told_history(db, seed.clinic_id, seed.patient_id)
    assert kept.id == record.id and kept.note == "Mum will delete the events herself."
    with db.read_session() as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.entity == "familytold")).all()
    assert event.patient_id == seed.patient_id and event.entity_id == str(record.id)
    assert event.user == record.recorded_by
    assert json.loads(event.after)["how"] == "email"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"how": "carrier pigeon"}, "how", "choose phone, letter, email or in person"),
        ({"told_on": "26/11/2026"}, "told_on", "cannot be in the future"),
        ({"told_on": "24/11/2026"}, "told_on", "before the family was first sent an itinerary"),
        ({"told_on": "31/02/2026"}, "told_on", "not a real date"),
        ({"told_on": ""}, "told_on", "required"),
        ({"told_by": "   "}, "told_by", ""),
        ({"note": "x" * 401}, "note", ""),
    ],
    ids=["how", "future", "before-export", "not-a-date", "no-date", "nobody", "long-note"],
)
def test_bad_values_are_refused_by_field(
    db: Database, seed: Seed, values: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        tell(db, seed, **values)
    assert set(refused.value.errors) == {field}
    assert message in refused.value.errors[field]
    assert told_history(db, seed.clinic_id, seed.patient_id) == []


def test_a_family_told_between_two_exports_can_be_recorded_on_the_day_they_were_told(
    db: Database, seed: Seed, tmp_path: Path
) -> None:
    """The earliest day is the family's first export, not their latest: told on 26/11 after the first export of
    25/11, recorded on 28/11 after another export on 27/11."""
    later(hours=48)  # 27/11/2026
    export(db, seed, tmp_path, "second")
    later(hours=24)  # 28/11/2026
    record = tell(db, seed, told_on="26/11/2026")
    assert record.told_on == dt.date(2026, 11, 26)
    with pytest.raises(ValidationError, match="before the family was first sent"):
        tell(db, seed, told_on="24/11/2026")


def test_a_family_never_sent_anything_cannot_be_told(db: Database, seed: Seed) -> None:
    with pytest.raises(NotFoundError, match="never sent an itinerary"):
        record_family_told(db, seed.clinic_id, seed.other_patient_id, "phone", "25/11/2026", "Nurse Example")
    with pytest.raises(NotFoundError, match="no clinic"):
        record_family_told(db, 9999, seed.patient_id, "phone", "25/11/2026", "Nurse Example")


# ------------------------------------------------------------------------------------------------------------
# The command line
# ------------------------------------------------------------------------------------------------------------


def test_tell_record_on_the_command_line(
    db: Database, db_url: str, seed: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    delete_dietetics(db, seed)
    export(db, seed, tmp_path, "second")
    assert main(["tell", "--clinic", str(seed.clinic_id), "--db", db_url]) == 0
    listing = capsys.readouterr().out
    assert f"! Ava Testperson (patient {seed.patient_id})" in listing and "cancellation sent on 25/11/2026" in listing
    base = ["tell", "--record", "--clinic", str(seed.clinic_id), "--patient", str(seed.patient_id), "--db", db_url]
    # A wrong value: exit 2, the option named, nothing recorded.
    assert main([*base, "--how", "fax", "--by", "Nurse Example"]) == 2
    assert "--how: choose phone, letter, email or in person" in capsys.readouterr().err
    assert main([*base, "--how", "phone"]) == 2
    assert "--by: is required with --record" in capsys.readouterr().err
    assert main([*base, "--how", "phone", "--by", "Nurse Example", "--on", "01/01/2027"]) == 2
    assert "--on: cannot be in the future" in capsys.readouterr().err
    assert told_history(db, seed.clinic_id, seed.patient_id) == []
    # Today by default.
    assert main([*base, "--how", "in-person", "--by", "Nurse Example", "--note", "At the school gate"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == (
        f"recorded: patient {seed.patient_id} at clinic {seed.clinic_id} told in person on 25/11/2026 by Nurse Example"
    )
    [record] = told_history(db, seed.clinic_id, seed.patient_id)
    assert (record.how, record.told_on, record.note) == (ToldHow.IN_PERSON, dt.date(2026, 11, 25), "At the school gate")
    assert main(["tell", "--clinic", str(seed.clinic_id), "--db", db_url]) == 0
    assert capsys.readouterr().out.startswith("nobody to tell")
    # Someone never sent anything: exit 1, one line.
    other = ["tell", "--record", "--clinic", str(seed.clinic_id), "--patient", str(seed.other_patient_id)]
    assert main([*other, "--how", "phone", "--by", "Nurse Example", "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "never sent an itinerary" in err and len(err.strip().splitlines()) == 1
