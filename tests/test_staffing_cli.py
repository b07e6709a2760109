"""``coordinator-tui staffing list|copy|set|remove``: each prints what it changed; bad input is one line (exit 2 for a
wrong value, 1 for what the data refuses) and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, ClinicStaffing
from coordinator_tui.services.clinics import clinics, venues
from coordinator_tui.services.people import professionals
from tests.cli_helpers import cli, one_line
from tests.postgres_server import both_databases

pytestmark = both_databases


def written(db: Database) -> tuple[list[tuple[int, int, str, str, str, int | None]], int]:
    """The staffing rows and the number of audit entries: what a refused command leaves as it was."""
    with db.read_session() as s:
        rows = s.exec(select(ClinicStaffing).order_by(ClinicStaffing.id)).all()
        return (
            [
                (r.clinic_event_id, r.professional_id, f"{r.day}", f"{r.start_time}", f"{r.end_time}", r.room_id)
                for r in rows
            ],
            len(s.exec(select(AuditEvent)).all()),
        )


@pytest.fixture
def setup(db: Database) -> Database:
    """Venue 1 (Eye Clinic; Room 1 in Outpatients; Room 1 in the Annexe), venue 2 (Clinic Room A); professionals
    1 cardiology, 2 endocrinology, 3 renal (archived); clinic 1 from 11/01/2027 and clinic 2 from 08/03/2027 at
    venue 1, 2 days each, 09:00-17:00."""
    with db.session() as s:
        hospital = venues.add_venue(s, {"name": "Exampleton Children's Hospital"})
        outreach = venues.add_venue(s, {"name": "Western Outreach Centre"})
        for name, building in [("Eye Clinic", "Children's Building"), ("Room 1", "Outpatients"), ("Room 1", "Annexe")]:
            venues.add_room(s, hospital.id, {"name": name, "building": building})  # type: ignore[arg-type]
        venues.add_room(s, outreach.id, {"name": "Clinic Room A"})  # type: ignore[arg-type]
        for given, family, discipline in [
            ("Quinn", "Gooseberry", "cardiology"),
            ("Ada", "Endoexample", "endocrinology"),
            ("Archie", "Renalexample", "renal"),
        ]:
            values = {"title": "Dr", "given_name": given, "family_name": family, "discipline": discipline}
            professionals.create_professional(s, values)
        professionals.archive_professional(s, 3)
        for name, start in [("January clinic", dt.date(2027, 1, 11)), ("March clinic", dt.date(2027, 3, 8))]:
            clinics.create_clinic_event(s, {"name": name, "start_date": start, "days": 2, "venue_id": hospital.id})
    return db


def test_set_list_copy_and_remove(setup: Database, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "staffing", "list", "--clinic", "1", "--db", db_url)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "1  January clinic · Exampleton Children's Hospital · day 09:00–17:00",
        "Day 1 · Mon 11/01/2027: 0 professionals",
        "Day 2 · Tue 12/01/2027: 0 professionals",
        "No staffing yet: coordinator-tui staffing copy --clinic 1, or staffing set",
    ]
    for argv, said in [
        (
            ["--professional", "1", "--day", "1", "--start", "09:00", "--end", "13:00", "--room", "eye clinic"],
            "Added Dr Quinn Gooseberry (cardiology) on day 1 (Mon 11/01/2027): 09:00–13:00, Eye Clinic, "
            "Children's Building",
        ),
        (
            ["--professional", "1", "--day", "1", "--start", "10:00", "--end", "17:00"],
            "Changed Dr Quinn Gooseberry (cardiology) on day 1 (Mon 11/01/2027): 10:00–17:00, no room (was "
            "09:00–13:00, Eye Clinic, Children's Building)",
        ),
        (
            ["--professional", "2", "--day", "12/01/2027", "--start", "9:00", "--end", "12:30", "--room", "Room 1",
             "--building", "annexe"],
            "Added Dr Ada Endoexample (endocrinology) on day 2 (Tue 12/01/2027): 09:00–12:30, Room 1, Annexe",
        ),
    ]:  # fmt: skip
        code, out, err = cli(capsys, "staffing", "set", "--clinic", "1", *argv, "--db", db_url)
        assert (code, err, out) == (0, "", said + "\n")
    code, out, err = cli(capsys, "staffing", "list", "--clinic", "1", "--db", db_url)
    assert out.splitlines()[1:] == [
        "Day 1 · Mon 11/01/2027: 1 professional",
        "    1  Dr Quinn Gooseberry · cardiology · 10:00–17:00 · no room",
        "Day 2 · Tue 12/01/2027: 1 professional",
        "    2  Dr Ada Endoexample · endocrinology · 09:00–12:30 · Room 1, Annexe",
    ]
    code, out, err = cli(capsys, "staffing", "copy", "--clinic", "2", "--db", db_url)
    assert (code, err, out) == (0, "", "Copied 2 staffing rows from January clinic.\n")
    code, out, err = cli(capsys, "staffing", "copy", "--clinic", "2", "--from", "1", "--db", db_url)
    assert out == "Copied 0 staffing rows from January clinic; kept the 2 already here as they were.\n"
    code, out, err = cli(capsys, "staffing", "remove", "--clinic", "2", "--professional", "2", "--day", "2",
                         "--db", db_url)  # fmt: skip
    assert (code, err) == (0, "")
    assert out == "Removed Dr Ada Endoexample (endocrinology) from day 2 (Tue 09/03/2027) (was 09:00–12:30)\n"
    rows, _audited = written(setup)
    assert rows == [
        (1, 1, "2027-01-11", "10:00:00", "17:00:00", None),
        (1, 2, "2027-01-12", "09:00:00", "12:30:00", 3),
        (2, 1, "2027-03-08", "10:00:00", "17:00:00", None),
    ]


SET = ["staffing", "set", "--clinic", "1", "--professional"]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        ([*SET, "1", "--day", "3", "--start", "09:00", "--end", "12:00"], 2, "--day: this clinic has days 1 to 2"),
        ([*SET, "1", "--day", "13/01/2027", "--start", "09:00", "--end", "12:00"], 2, "--day: is not a day of this"),
        ([*SET, "1", "--day", "1", "--start", "08:00", "--end", "12:00"], 2,
         "--start: 08:00 is before the clinic's day starts (09:00–17:00)"),
        ([*SET, "1", "--day", "1", "--start", "13:00", "--end", "18:00"], 2, "--end: 18:00 is after the clinic's day"),
        ([*SET, "1", "--day", "1", "--start", "13:00", "--end", "12:00"], 2, "--end: must be after the start time"),
        ([*SET, "1", "--day", "1", "--start", "noon", "--end", "12:00"], 2, "--start: type a time as HH:MM"),
        ([*SET, "1", "--day", "1", "--start", "09:00", "--end", "12:00", "--room", "Clinic Room A"], 2,
         "--room: Clinic Room A is a room of Western Outreach Centre, not of this clinic's venue"),
        ([*SET, "1", "--day", "1", "--start", "09:00", "--end", "12:00", "--room", "Room 1"], 2,
         "--room: Exampleton Children's Hospital has a Room 1 in Annexe, Outpatients: say which building"),
        ([*SET, "1", "--day", "1", "--start", "09:00", "--end", "12:00", "--room", "Room 9"], 2,
         "--room: Exampleton Children's Hospital has no room called Room 9"),
        ([*SET, "1", "--day", "1", "--start", "09:00", "--end", "12:00", "--building", "Annexe"], 2,
         "--building: name the room too"),
        ([*SET, "x", "--day", "1", "--start", "09:00", "--end", "12:00"], 2, "is not a record id"),
        ([*SET, "3", "--day", "1", "--start", "09:00", "--end", "12:00"], 1,
         "--professional: Dr Archie Renalexample is archived"),
        ([*SET, "2", "--day", "1", "--start", "09:00", "--end", "12:00", "--room", "Eye Clinic"], 1,
         "--room: Eye Clinic is Dr Quinn Gooseberry's on day 1 (Mon 11/01/2027) 09:00–17:00"),
        ([*SET, "9", "--day", "1", "--start", "09:00", "--end", "12:00"], 1, "no professional with id 9"),
        (["staffing", "set", "--clinic", "9", "--professional", "1", "--day", "1", "--start", "09:00", "--end",
          "12:00"], 1, "no clinic with id 9"),
        (["staffing", "remove", "--clinic", "1", "--professional", "2", "--day", "1"], 1,
         "--professional: Dr Ada Endoexample is not in clinic on day 1 (Mon 11/01/2027)"),
        (["staffing", "remove", "--clinic", "1", "--professional", "1", "--day", "0"], 2, "--day: this clinic has"),
        (["staffing", "copy", "--clinic", "1"], 1, "--clinic: no earlier clinic of this service has staffing"),
        (["staffing", "copy", "--clinic", "2", "--from", "2"], 2, "--from: choose another clinic to copy from"),
        (["staffing", "copy", "--clinic", "1", "--from", "2"], 1, "--from: March clinic has no staffing to copy"),
        (["staffing", "list", "--clinic", "9"], 1, "no clinic with id 9"),
        (["staffing", "list"], 2, "the following arguments are required: --clinic"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_writes_nothing(
    setup: Database, db_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    with setup.session() as s:
        clinics.set_staffing(s, 1, 1, dt.date(2027, 1, 11), dt.time(9), dt.time(17), 1)
    before = written(setup)
    got, out, err = cli(capsys, *argv, "--db", db_url)
    assert (got, out) == (code, "")
    if "required" in message or "record id" in message:
        assert message in err  # argparse's own usage lines
    else:
        assert message in one_line(err)
    assert written(setup) == before
