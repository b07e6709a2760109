"""``coordinator-tui professionals list|add|edit|archive``: each prints what it changed; bad input is one line, exit
2 (a wrong value) or 1 (a likely duplicate, someone in care teams or bookings, an unknown id), and writes nothing."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlmodel import select

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, CareTeamMember, CareTeamStatus, Professional
from tests.postgres_server import both_databases
from tests.test_cli import one_line_error, run
from tests.test_professionals import care_team_world

pytestmark = both_databases

QUINN_ARGS = [
    "--given", "Quinn", "--family", "Gooseberry", "--discipline", "Cardiology", "--title", "Dr",
    "--role", "Consultant paediatric cardiologist", "--organisation", "Exampleton Children's Hospital",
    "--phone", "01632960123", "--email", "quinn@example.org", "--days", "monday, wed",
]  # fmt: skip


def audit_count(db: Database) -> int:
    with db.session() as s:
        return int(s.exec(sa.select(sa.func.count()).select_from(AuditEvent)).one()[0])  # type: ignore[call-overload]


def stored(db: Database) -> list[Professional]:
    with db.session() as s:
        return list(s.exec(select(Professional).order_by(Professional.id)).all())  # type: ignore[arg-type]


def test_add_list_edit_archive(capsys: pytest.CaptureFixture[str], db: Database, db_url: str) -> None:
    code, out, err = run(capsys, "professionals", "add", *QUINN_ARGS, "--db", db_url)
    assert (code, err) == (0, "")
    assert out == "Added #1 Dr Quinn Gooseberry (cardiology, Exampleton Children's Hospital), usual days Mon Wed.\n"
    [quinn] = stored(db)
    assert (quinn.phone, quinn.usual_days, quinn.role) == (
        "01632 960123",
        "Mon Wed",
        "Consultant paediatric cardiologist",
    )

    code, out, err = run(capsys, "professionals", "edit", "1", "--days", "Fri", "--setting", "local", "--db", db_url)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Changed #1 Dr Quinn Gooseberry:",
        "  --setting: “centre” → “local”",
        "  --days: “Mon Wed” → “Fri”",
    ]

    code, out, _ = run(capsys, "professionals", "list", "--json", "--db", db_url)
    [row] = json.loads(out)
    assert row["usual_days"] == "Fri" and row["setting"] == "local" and row["archived"] is False

    code, out, err = run(capsys, "professionals", "archive", "1", "--db", db_url)
    assert (code, err) == (0, "")
    assert out.startswith("Archived #1 Dr Quinn Gooseberry")
    assert stored(db)[0].archived
    code, out, _ = run(capsys, "professionals", "list", "--db", db_url)
    assert out == "No professionals (--all shows archived ones).\n"
    code, out, _ = run(capsys, "professionals", "list", "--all", "--db", db_url)
    assert "archived" in out and out.startswith("#1 Dr Quinn Gooseberry")


def test_a_likely_duplicate_is_refused_unless_allowed(
    capsys: pytest.CaptureFixture[str], db: Database, db_url: str
) -> None:
    run(capsys, "professionals", "add", *QUINN_ARGS, "--db", db_url)
    before = audit_count(db)
    same_email = ["--given", "Rosa", "--family", "Other", "--discipline", "renal", "--email", "QUINN@example.org"]
    code, out, err = run(capsys, "professionals", "add", *same_email, "--db", db_url)
    assert code == 1 and out == ""
    assert "looks like #1 Dr Quinn Gooseberry" in one_line_error(err) and "--allow-duplicate" in err
    assert audit_count(db) == before and len(stored(db)) == 1
    code, out, err = run(capsys, "professionals", "add", *same_email, "--allow-duplicate", "--db", db_url)
    assert code == 0 and out.startswith("Added #2 Rosa Other")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["add", "--given", "Ann", "--family", "Other", "--discipline", "astrology"], "--discipline"),
        (["add", "--given", "Ann", "--family", "Other", "--discipline", "renal", "--phone", "12345"], "--phone"),
        (["add", "--given", "Ann", "--family", "Other", "--discipline", "renal", "--email", "ann@"], "--email"),
        (["add", "--given", "Ann", "--family", "Other", "--discipline", "renal", "--days", "someday"], "--days"),
        (["add", "--given", " ", "--family", "Other", "--discipline", "renal"], "--given"),
        (["add", "--family", "Other", "--discipline", "renal"], "--given"),  # missing: argparse's usage error
        (["add", "--given", "A", "--family", "B", "--discipline", "renal", "--setting", "abroad"], "--setting"),
        (["edit", "1"], "give at least one of"),
        (["edit", "1", "--email", "x@"], "--email"),
        (["edit", "one", "--role", "x"], "not a record id"),
        (["archive", "0"], "not a record id"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], db: Database, db_url: str, argv: list[str], named: str
) -> None:
    run(capsys, "professionals", "add", *QUINN_ARGS, "--db", db_url)
    before = audit_count(db)
    code, out, err = run(capsys, "professionals", *argv, "--db", db_url)
    assert code == 2 and out == ""
    assert named in err.splitlines()[-1]
    if not err.startswith("usage:"):
        one_line_error(err)
    assert audit_count(db) == before and len(stored(db)) == 1


@pytest.mark.parametrize("argv", [["edit", "9", "--role", "x"], ["archive", "9"]])
def test_an_unknown_professional_is_one_line_exit_1(
    capsys: pytest.CaptureFixture[str], db: Database, db_url: str, argv: list[str]
) -> None:
    code, out, err = run(capsys, "professionals", *argv, "--db", db_url)
    assert code == 1 and out == ""
    assert one_line_error(err) == "coordinator-tui: no professional with id 9"


def test_archive_refused_while_in_care_teams_and_bookings_then_ends_the_memberships(
    capsys: pytest.CaptureFixture[str], db: Database, db_url: str
) -> None:
    quinn, nell, _pip = care_team_world(db)
    before = audit_count(db)
    code, out, err = run(capsys, "professionals", "archive", str(quinn), "--db", db_url)
    assert code == 1 and out == ""
    line = one_line_error(err)
    assert "in the current care team of 2 patients and booked in 2 future clinic sessions" in line
    assert "Care teams: Example, Testpatient0; Example, Testpatient1." in line
    assert "--end-memberships" in line
    assert audit_count(db) == before

    code, out, err = run(capsys, "professionals", "archive", str(nell), "--end-memberships", "--db", db_url)
    assert code == 1 and "make someone else the named worker first" in one_line_error(err)
    assert audit_count(db) == before

    code, out, err = run(capsys, "professionals", "archive", str(quinn), "--end-memberships", "--db", db_url)
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        "Care-team memberships ended today (2):",
        "  Example, Testpatient0 (Cardiologist)",
        "  Example, Testpatient1 (Cardiologist)",
        "Future bookings that still name them, to move (2):",
        "  Combined clinic January 2027, 11/01/2027 10:30: Example, Testpatient0 (cardiology)",
        "  Combined clinic January 2027, 12/01/2027 09:00: staffing the clinic",
    ]
    with db.session() as s:
        members = s.exec(select(CareTeamMember).where(CareTeamMember.professional_id == quinn)).all()
        assert {m.status for m in members} == {CareTeamStatus.ENDED}
    code, out, err = run(capsys, "professionals", "archive", str(quinn), "--db", db_url)
    assert code == 1 and "already archived" in one_line_error(err)
