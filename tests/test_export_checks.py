"""Checks before an export is written: no appointment booked, or an unresolved clash in the family's timetable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session, select

from coordinator_tui.cli import main
from coordinator_tui.db import Database
from coordinator_tui.export.checks import check_before_export, concerns_text, export_concerns
from coordinator_tui.models import Appointment, AppointmentStatus, ClinicEvent, ClinicStatus
from tests.export_data import Seed, local, seed_clinic
from tests.postgres_server import both_databases, target_of

pytestmark = both_databases


@pytest.fixture
def seeded(db: Database) -> Seed:
    with db.session() as session:
        seed = seed_clinic(session)
        session.commit()
    return seed


def _make_a_clash(session: Session, seed: Seed) -> None:
    """The other family's appointment moved onto Ava's Audiology time with Ava's eye doctor's room: a room clash."""
    theirs = session.exec(select(Appointment).where(Appointment.patient_id == seed.other_patient_id)).one()
    theirs.start, theirs.end = local(dt.date(2027, 3, 29), 10, 15), local(dt.date(2027, 3, 29), 10, 45)
    session.add(theirs)
    session.commit()


def test_a_visit_with_appointments_and_no_clash_has_nothing_to_ask(db: Database, seeded: Seed) -> None:
    with db.session() as session:
        assert export_concerns(session, seeded.clinic_id, seeded.patient_id) == []
        assert export_concerns(session, seeded.clinic_id, None) == []
    assert check_before_export(db, seeded.clinic_id, None).concerns == ""


def test_no_appointment_booked_is_asked_about(db: Database, seeded: Seed) -> None:
    with db.session() as session:
        for appointment in session.exec(select(Appointment).where(Appointment.patient_id == seeded.patient_id)):
            # Proposed or cancelled only: nothing booked to go to.
            appointment.status = AppointmentStatus.PROPOSED if appointment.id % 2 else AppointmentStatus.CANCELLED
            session.add(appointment)
        session.commit()
    with db.session() as session:
        concerns = export_concerns(session, seeded.clinic_id, seeded.patient_id)
        assert [(c.patient_id, c.reason) for c in concerns] == [(seeded.patient_id, "no appointment booked")]
        whole = export_concerns(session, seeded.clinic_id, None)
        assert [c.patient_id for c in whole] == [seeded.patient_id]  # the other family is booked
    check = check_before_export(db, seeded.clinic_id, seeded.patient_id)
    assert (check.count, check.families) == (1, 1)
    assert check.concerns == f"Testperson, Ava (patient {seeded.patient_id}): no appointment booked"


def test_an_unresolved_clash_in_the_family_timetable_is_asked_about_for_both_families(
    db: Database, seeded: Seed
) -> None:
    with db.session() as session:
        _make_a_clash(session, seeded)
    with db.session() as session:
        concerns = export_concerns(session, seeded.clinic_id, None)
    assert {c.patient_id for c in concerns} == {seeded.patient_id, seeded.other_patient_id}
    assert all(
        c.reason.startswith("an unresolved clash in their timetable (room double-booked on 29/03/2027")
        for c in concerns
    )
    assert "\n" not in concerns_text(concerns)


def test_a_cancelled_clinic_or_a_declined_family_has_nothing_to_ask(db: Database, seeded: Seed) -> None:
    """What they get cancels what they were sent: the export itself decides whether it can be written."""
    with db.session() as session:
        assert export_concerns(session, seeded.clinic_id, seeded.declined_patient_id) == []
        clinic = session.get(ClinicEvent, seeded.clinic_id)
        assert clinic is not None
        clinic.status = ClinicStatus.CANCELLED
        session.add(clinic)
        session.commit()
    with db.session() as session:
        assert export_concerns(session, seeded.clinic_id, None) == []


def test_the_command_refuses_in_one_line_unless_anyway(
    db: Database, seeded: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session() as session:
        _make_a_clash(session, seeded)
    out = tmp_path / "out"
    argv = ["export", "--clinic", str(seeded.clinic_id), "--patient", str(seeded.patient_id), "--out", str(out),
            "--db", target_of(db)]  # fmt: skip
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"coordinator-tui: not written: Testperson, Ava (patient {seeded.patient_id}): ")
    assert "clash" in captured.err and captured.err.strip().endswith("add --anyway to write it anyway")
    assert not out.exists()
    assert main([*argv, "--anyway"]) == 0
    assert len(list(out.iterdir())) == 3
