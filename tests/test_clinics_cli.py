"""``coordinator-tui clinics new|plan|move|cancel|list`` (on SQLite and PostgreSQL): each prints what it changed;
bad input is one line (exit 2 for a wrong value, 1 for what the data refuses) and writes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, ClinicEvent, ClinicStatus
from coordinator_tui.services.clinics import venues
from tests.cli_helpers import cli, one_line
from tests.postgres_server import both_databases

pytestmark = both_databases


def written(db: Database) -> tuple[list[tuple[str, str, str]], int]:
    with db.read_session() as s:
        rows = s.exec(select(ClinicEvent).order_by(ClinicEvent.id)).all()  # type: ignore[arg-type]
        clinics = [(c.name, f"{c.start_date:%d/%m/%Y}", c.status.value) for c in rows]
        return clinics, len(s.exec(select(AuditEvent)).all())


@pytest.fixture
def venue(db: Database) -> str:
    with db.session() as s:
        venues.add_venue(s, {"name": "Test Hospital"})
    return "Test Hospital"


def test_new_plan_move_cancel_and_list(
    db: Database, db_url: str, venue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "clinics", "list", "--db", db_url)
    assert (code, err) == (0, "") and out.startswith("No upcoming clinics: add one with coordinator-tui clinics new")

    code, out, err = cli(capsys, "clinics", "new", "--name", "Combined clinic 11/01/2027", "--start", "11/01/2027",
                         "--venue", "test hospital", "--db", db_url)  # fmt: skip
    assert (code, err) == (0, "")
    assert out == "Created clinic 1: Combined clinic 11/01/2027, 11/01/2027–12/01/2027 at Test Hospital, 09:00–17:00\n"

    before = written(db)
    code, out, err = cli(capsys, "clinics", "plan", "--from", "01/02/2027", "--every-weeks", "8", "--count", "6",
                         "--venue", venue, "--dry-run", "--db", db_url)  # fmt: skip
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Would create 6 clinics at Test Hospital, 09:00–17:00:"
    assert lines[2] == "  Combined clinic Mon 05/04/2027–Tue 06/04/2027  (moved from 29/03/2027: Easter Monday)"
    assert lines[-1] == "Nothing was written (--dry-run)."
    assert written(db) == before

    code, out, err = cli(capsys, "clinics", "plan", "--from", "01/02/2027", "--every-weeks", "8", "--count", "6",
                         "--venue", venue, "--db", db_url)  # fmt: skip
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "Created 6 clinics at Test Hospital, 09:00–17:00:"
    assert out.splitlines()[1] == "  2  Combined clinic Mon 01/02/2027–Tue 02/02/2027"

    code, out, err = cli(capsys, "clinics", "move", "1", "--to", "18/01/2027", "--db", db_url)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Moved clinic 1 from 11/01/2027 to 18/01/2027–19/01/2027: Combined clinic 18/01/2027",
        "Moved with it: 0 appointments, 0 staffing days, travel of 0 families, 0 hotel bookings",
    ]
    code, out, err = cli(capsys, "clinics", "cancel", "2", "--yes", "--db", db_url)
    assert (code, err) == (0, "")
    assert out == "Cancelled clinic 2: Combined clinic 01/02/2027, 01/02/2027–02/02/2027\n"

    clinics, _audited = written(db)
    assert clinics[0] == ("Combined clinic 18/01/2027", "18/01/2027", "planned")
    assert clinics[1][2] == ClinicStatus.CANCELLED.value and len(clinics) == 7
    code, out, err = cli(capsys, "clinics", "list", "--db", db_url)
    assert (code, err) == (0, "")
    assert "2  Combined clinic 01/02/2027  01/02/2027–02/02/2027 at Test Hospital  cancelled" in out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["new", "--name", "Easter", "--start", "29/03/2027"], 2, "--start: 29/03/2027 is Easter Monday"),
        (["new", "--name", "Past", "--start", "02/11/2026"], 2, "--start: cannot be in the past"),
        (["new", "--name", "Long", "--start", "11/01/2027", "--days", "9"], 2, "--days: must be between 1 and 5"),
        (["new", "--name", "X", "--start", "11/01/2027", "--venue", "Nowhere"], 1, "--venue: no venue Nowhere"),
        (["new", "--name", "Overlap", "--start", "12/01/2027", "--venue", "Test Hospital"], 1,
         "--start: 12/01/2027 overlaps Combined clinic 11/01/2027"),
        (["plan", "--from", "01/02/2027", "--every-weeks", "0", "--count", "6"], 2, "--every-weeks: must be between"),
        (["plan", "--from", "11/01/2027", "--every-weeks", "8", "--count", "2", "--venue", "Test Hospital"], 1,
         "overlaps Combined clinic 11/01/2027"),
        (["move", "1", "--to", "29/03/2027"], 1, "cannot move Combined clinic 11/01/2027 to 29/03/2027: 29/03/2027 "
         "is Easter Monday"),
        (["move", "1", "--to", "31/02/2027"], 2, "--to: 31/02/2027 is not a real date"),
        (["move", "99", "--to", "18/01/2027"], 1, "no clinic 99 (see clinics list)"),
        (["cancel", "1"], 2, "--yes: add --yes to cancel clinic 1 (usage: clinics cancel ID --yes)"),
        (["cancel", "99", "--yes"], 1, "no clinic 99 (see clinics list)"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_writes_nothing(
    db: Database, db_url: str, venue: str, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    assert cli(capsys, "clinics", "new", "--name", "Combined clinic 11/01/2027", "--start", "11/01/2027",
               "--venue", venue, "--db", db_url)[0] == 0  # fmt: skip
    before = written(db)
    got, out, err = cli(capsys, "clinics", *argv, "--db", db_url)
    assert (got, out) == (code, "")
    assert message in one_line(err)
    assert written(db) == before
