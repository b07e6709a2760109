"""``coordinator-tui export --to-tell``: every family on the families-to-tell list exported in one command, each
file named by date and patient id and printed with whose it is; the family stays on the list until told."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar
import pytest
from sqlmodel import select

from coordinator_tui import clock
from coordinator_tui.db import Database
from coordinator_tui.export.service import export_itineraries
from coordinator_tui.models import Appointment, AttendanceStatus, ClinicAttendance
from coordinator_tui.services.clinics import clinics
from tests.cli_helpers import cli, one_line
from tests.export_data import Seed, seed_clinic
from tests.postgres_server import both_databases

pytestmark = both_databases


@pytest.fixture
def seed(db: Database, tmp_path: Path) -> Seed:
    with db.session() as session:
        seeded = seed_clinic(session)
    export_itineraries(db, seeded.clinic_id, None, tmp_path / "first", formats=["ics"])
    clock.set_fixed_now(clock.now() + dt.timedelta(hours=1))
    return seeded


def test_nobody_to_tell_writes_nothing(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, printed, err = cli(capsys, "export", "--to-tell", "--out", str(out), "--db", db_url)
    assert (code, printed) == (0, "")
    assert one_line(err) == "coordinator-tui: nobody to tell: no itinerary to export again"
    assert not out.exists()


def test_every_family_to_tell_in_one_command(
    db: Database, seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session() as session:  # Ava's first appointment deleted; the other family declines
        first = session.exec(select(Appointment).where(Appointment.patient_id == seed.patient_id)).first()
        assert first is not None
        gone_uid = first.uid
        session.delete(first)
        place = session.exec(select(ClinicAttendance).where(ClinicAttendance.patient_id == seed.other_patient_id)).one()
        clinics.update_attendance(session, place.id or 0, {"status": AttendanceStatus.DECLINED})
        session.commit()
    out = tmp_path / "out"
    code, printed, err = cli(capsys, "export", "--to-tell", "--out", str(out), "--format", "ics,txt", "--db", db_url)
    assert code == 0, err
    lines = printed.splitlines()
    whose = {line.split("  for ")[1] for line in lines}
    assert whose == {
        f"Testperson, Ava (patient {seed.patient_id})",
        f"Otherfamily, Zebedee-QXOTHER (patient {seed.other_patient_id})",
    }
    names = sorted(Path(line.split("  for ")[0]).name for line in lines)
    assert names == sorted(
        [
            f"2027-03-29_family-p{seed.patient_id}.ics",
            f"2027-03-29_family-p{seed.patient_id}.txt",
            f"2027-03-29_family-p{seed.other_patient_id}.ics",  # no longer coming: the cancellations only
        ]
    )
    calendar = icalendar.Calendar.from_ical((out / f"2027-03-29_family-p{seed.patient_id}.ics").read_bytes())
    cancelled = {str(e["UID"]) for e in calendar.walk("VEVENT") if str(e.get("STATUS")) == "CANCELLED"}
    assert gone_uid in cancelled
    assert "stays on the list until the family is told" in err
    # Still on the list: a new export alone does not clear it.
    code, listed, _err = cli(capsys, "tell", "--clinic", str(seed.clinic_id), "--db", db_url)
    assert code == 0 and "2 to tell" in listed


def test_to_tell_takes_no_patient_and_export_needs_a_clinic_or_to_tell(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    code, printed, err = cli(capsys, "export", "--to-tell", "--patient", "1", "--out", out, "--db", db_url)
    assert (code, printed) == (2, "") and "--to-tell exports every family on the list" in err
    code, printed, err = cli(capsys, "export", "--out", out, "--db", db_url)
    assert (code, printed) == (2, "") and "--clinic (or --to-tell)" in err
    assert not Path(out).exists()
