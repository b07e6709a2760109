"""``coordinator-tui tell [--clinic ID]``: the families to tell and why; 'nobody to tell' when empty; a bad id is one
line (exit 2), an unknown clinic one line (exit 1); nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select

from coordinator_tui import clock
from coordinator_tui.db import Database
from coordinator_tui.export.service import export_itineraries
from coordinator_tui.models import AttendanceStatus, AuditEvent, ClinicAttendance
from coordinator_tui.services.clinics import clinics
from tests.cli_helpers import cli, one_line
from tests.export_data import Seed, seed_clinic
from tests.postgres_server import both_databases

pytestmark = both_databases


@pytest.fixture
def seed(db: Database, tmp_path: Path) -> Seed:
    with db.session() as session:
        seeded = seed_clinic(session)
    export_itineraries(db, seeded.clinic_id, seeded.patient_id, tmp_path, formats=["ics"])
    clock.set_fixed_now(clock.now() + dt.timedelta(hours=1))
    return seeded


def _set_place(db: Database, seed: Seed, **values: object) -> None:
    with db.session() as session:
        place = session.exec(
            select(ClinicAttendance).where(
                ClinicAttendance.clinic_event_id == seed.clinic_id, ClinicAttendance.patient_id == seed.patient_id
            )
        ).one()
        clinics.update_attendance(session, place.id or 0, values)


def test_nobody_to_tell_from_an_empty_database(db: Database, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "tell", "--db", db_url)
    assert (code, err) == (0, "")
    assert out == "nobody to tell: every family sent an itinerary for any upcoming clinic has one that matches it\n"


def test_nobody_to_tell_right_after_the_export(seed: Seed, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "tell", "--clinic", str(seed.clinic_id), "--db", db_url)
    assert (code, err) == (0, "")
    assert out.startswith(f"nobody to tell: every family sent an itinerary for clinic {seed.clinic_id} ")


def test_the_family_and_why_for_one_clinic_and_for_every_upcoming_one(
    db: Database, seed: Seed, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_place(db, seed, hotel_reference="HTL-43")
    expected = [
        f"Combined clinic (clinic {seed.clinic_id}, 29/03/2027): 1 to tell",
        f"  - Ava Testperson (patient {seed.patient_id}): hotel changed",
    ]
    code, out, err = cli(capsys, "tell", "--clinic", str(seed.clinic_id), "--db", db_url)
    assert (code, err, out.splitlines()) == (0, "", expected)
    code, out, err = cli(capsys, "tell", "--db", db_url)
    assert (code, err, out.splitlines()) == (0, "", expected)


def test_a_withdrawal_is_marked_and_says_to_tell_them(
    db: Database, seed: Seed, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_place(db, seed, status=AttendanceStatus.DECLINED)
    code, out, err = cli(capsys, "tell", "--clinic", str(seed.clinic_id), "--db", db_url)
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == (
        f"  ! Ava Testperson (patient {seed.patient_id}): declined after an itinerary was sent on 25/11/2026: "
        "cancellation not sent yet: export, then tell them"
    )


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", "99999999999999999999999"])
def test_a_clinic_id_that_is_not_a_record_id_is_a_usage_error(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    code, out, err = cli(capsys, "tell", "--clinic", bad, "--db", db_url)
    assert code == 2 and out == ""
    assert "--clinic" in err.splitlines()[-1] and "Traceback" not in err


def test_an_unknown_clinic_is_one_line_and_writes_nothing(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.read_session() as s:
        before = len(s.exec(select(AuditEvent)).all())
    code, out, err = cli(capsys, "tell", "--clinic", "99", "--db", db_url)
    assert (code, out) == (1, "")
    assert one_line(err) == "coordinator-tui: no clinic with id 99"
    with db.read_session() as s:
        assert len(s.exec(select(AuditEvent)).all()) == before
