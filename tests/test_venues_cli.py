"""``coordinator-tui venues add|list`` and ``rooms add``: each prints what it added; bad input is one line (exit 2
for a wrong value, 1 for a venue that is not there) and writes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, Room, Venue
from coordinator_tui.services.clinics import venues
from tests.cli_helpers import cli, one_line
from tests.postgres_server import both_databases

pytestmark = both_databases


def written(db: Database) -> tuple[list[tuple[str, str]], list[tuple[int, str, str]], int]:
    """Venues, rooms and audit entries: what a refused command must leave as it was."""
    with db.read_session() as s:
        return (
            [(v.name, v.address) for v in s.exec(select(Venue)).all()],
            [(r.venue_id, r.building, r.name) for r in s.exec(select(Room)).all()],
            len(s.exec(select(AuditEvent)).all()),
        )


def test_add_a_venue_and_its_rooms_then_list_them(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "venues", "list", "--db", db_url)
    assert (code, err) == (0, "")
    assert out == "No venues yet: add one with coordinator-tui venues add --name NAME\n"
    code, out, err = cli(
        capsys,
        "venues",
        "add",
        "--name",
        "Exampleton Children's Hospital",
        "--address",
        "1 Example Road",
        "--db",
        db_url,
    )
    assert (code, err) == (0, "")
    assert out == "Added venue 1: Exampleton Children's Hospital (1 Example Road)\n"
    for venue, name, building in [
        ("1", "Eye Clinic", "Children's Building"),
        ("exampleton children's hospital", "Audiology Suite", "children's building"),  # by name; as already spelt
        ("1", "Room 1", "Outpatients"),
        ("1", "Room 2", "Outpatients"),
    ]:
        code, out, err = cli(capsys, "rooms", "add", "--venue", venue, "--name", name, "--building", building,
                             "--db", db_url)  # fmt: skip
        assert (code, err) == (0, ""), err
        assert out.startswith("Added room ") and f": {name} in {building[:1].upper()}" in out
    code, out, err = cli(capsys, "venues", "list", "--db", db_url)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "1  Exampleton Children's Hospital — 1 Example Road",
        "    Children's Building: Audiology Suite, Eye Clinic",
        "    Outpatients: Room 1, Room 2",
        "Walking between any two buildings: 10 min (the service's default)",
    ]
    venues_rows, rooms, audited = written(db)
    assert venues_rows == [("Exampleton Children's Hospital", "1 Example Road")]
    assert sorted(rooms) == [
        (1, "Children's Building", "Audiology Suite"),
        (1, "Children's Building", "Eye Clinic"),
        (1, "Outpatients", "Room 1"),
        (1, "Outpatients", "Room 2"),
    ]
    assert audited >= 5  # every venue and room added is audited


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["venues", "add", "--name", "test hospital"], 2, "--name: there is already a venue called Test Hospital"),
        (["venues", "add", "--name", "   "], 2, "--name: is required"),
        (["venues", "add", "--name", "x" * 201], 2, "--name"),
        (["venues", "add", "--name", "Bad\x1b[2Jname"], 2, "--name"),
        (["rooms", "add", "--venue", "1", "--name", "ROOM 1", "--building", " main "], 2, "already has Room 1 in Main"),
        (["rooms", "add", "--venue", "1", "--name", ""], 2, "--name: is required"),
        (["rooms", "add", "--venue", "9", "--name", "Room 9"], 1, "--venue: no venue 9 (venues: 1 Test Hospital)"),
        (["rooms", "add", "--venue", "Nowhere", "--name", "Room 9"], 1, "--venue: no venue Nowhere"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Test Hospital"})
        venues.add_room(s, venue.id, {"name": "Room 1", "building": "Main"})  # type: ignore[arg-type]
    before = written(db)
    got, out, err = cli(capsys, *argv, "--db", db_url)
    assert got == code and out == ""
    assert message in one_line(err)
    assert written(db) == before


def test_an_archived_venue_takes_no_rooms(db: Database, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Test Hospital"})
        venues.archive_venue(s, venue.id)  # type: ignore[arg-type]
    before = written(db)
    code, out, err = cli(capsys, "rooms", "add", "--venue", "Test Hospital", "--name", "Room 1", "--db", db_url)
    assert (code, out) == (1, "")
    assert "--venue: Test Hospital is archived" in one_line(err)
    assert written(db) == before


def test_a_missing_required_option_is_a_usage_error(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "rooms", "add", "--venue", "1", "--db", db_url)
    assert code == 2 and out == ""
    assert "the following arguments are required: --name" in err
    assert written(db) == ([], [], 0)


def test_list_shows_a_venues_own_walking_time(db: Database, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Test Hospital"})
        assert venue.id is not None
        for name, building in [("Room 1", "Main"), ("Eye Clinic", "Eye Block")]:
            venues.add_room(s, venue.id, {"name": name, "building": building})
        venues.set_walking_time(s, venue.id, {"first": "Main", "second": "Eye Block", "minutes": "25"})
    code, out, err = cli(capsys, "venues", "list", "--db", db_url)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "1  Test Hospital",
        "    Eye Block: Eye Clinic",
        "    Main: Room 1",
        "    walk Eye Block <-> Main: 25 min",
        "Walking between any other two buildings: 10 min (the service's default)",
    ]
