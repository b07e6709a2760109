"""``coordinator-tui invite`` and ``attendance set``: each prints what it changed; bad input is one line (exit 2 for
a wrong option or value, 1 for what the data refuses) and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from coordinator_tui import clock
from coordinator_tui.db import Database
from coordinator_tui.models import AttendanceStatus, AuditEvent, ClinicAttendance
from tests.cli_helpers import cli, one_line
from tests.invitation_helpers import DueWorld, due_world
from tests.postgres_server import both_databases

pytestmark = both_databases


def written(db: Database) -> tuple[list[tuple[int, int, str, str]], int]:
    with db.read_session() as s:
        return (
            sorted(
                (a.clinic_event_id, a.patient_id, a.status.value, a.cancelled_by)
                for a in s.exec(select(ClinicAttendance)).all()
            ),
            len(s.exec(select(AuditEvent)).all()),
        )


@pytest.fixture
def world(db: Database) -> DueWorld:
    return db.write(due_world)


def test_propose_prints_reasons_and_writes_nothing(
    db: Database, db_url: str, world: DueWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    before = written(db)
    code, out, err = cli(capsys, "invite", "--clinic", str(world.clinic_id), "--propose", "--db", db_url)
    assert (code, err) == (0, "")
    assert f"patient {world.patients['Bramble']}  Testpatient Bramble: never attended (registered 01/02/2026)" in out
    assert "Testpatient Cherry: last attended 08/06/2026, review every 6 months: due 08/12/2026" in out
    assert "Due but not fitting the hours (1):" in out
    assert (
        "Testpatient Apple: last attended 15/12/2025, review every 12 months: due 15/12/2026; endocrinology has 0"
        in out
    )
    assert "Elder" not in out
    assert written(db) == before


def test_invite_the_proposal_then_named_patients(
    db: Database, db_url: str, world: DueWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "invite", "--clinic", str(world.clinic_id), "--proposed", "--db", db_url)
    assert (code, err) == (0, "")
    assert out.count("invited patient") == 3 and "(Testpatient Damson) to clinic" in out
    apple = str(world.patients["Apple"])
    code, out, err = cli(capsys, "invite", "--clinic", str(world.clinic_id), "--patient", apple, "--db", db_url)
    assert (code, err) == (0, "")
    assert out == f"invited patient {apple} (Testpatient Apple) to clinic {world.clinic_id}\n"
    assert len(written(db)[0]) == 3 + 4  # three past attendances in the world, four invited now


def test_attendance_set_prints_the_change_and_who(
    db: Database, db_url: str, world: DueWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    pid, cid = str(world.patients["Bramble"]), str(world.clinic_id)
    cli(capsys, "invite", "--clinic", cid, "--patient", pid, "--db", db_url)
    code, out, err = cli(
        capsys, "attendance", "set", "--clinic", cid, "--patient", pid, "--status", "confirmed", "--db", db_url
    )
    assert (code, err) == (0, "")
    assert out == (
        f"patient {pid} at clinic {cid}: ? invited, no reply -> ✓ confirmed (recorded by test-coordinator)\n"
    )
    code, out, err = cli(
        capsys, "attendance", "set", "--clinic", cid, "--patient", pid, "--status", "cancelled", "--by", "service",
        "--db", db_url,
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert "-> ✗ cancelled by the service" in out
    clock.set_fixed_now(dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.UTC))
    cli(capsys, "attendance", "set", "--clinic", cid, "--patient", pid, "--status", "invited", "--db", db_url)
    cli(capsys, "attendance", "set", "--clinic", cid, "--patient", pid, "--status", "confirmed", "--db", db_url)
    code, out, err = cli(
        capsys, "attendance", "set", "--clinic", cid, "--patient", pid, "--status", "did-not-attend", "--db", db_url
    )
    assert (code, err) == (0, "") and out.endswith("-> ✗ did not attend (recorded by test-coordinator)\n")
    rows = [r for r in written(db)[0] if r[0] == world.clinic_id]
    assert rows == [(world.clinic_id, world.patients["Bramble"], AttendanceStatus.DID_NOT_ATTEND.value, "")]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["invite", "--clinic", "{c}"], 2, "one of the arguments --propose --proposed --patient is required"),
        (["invite", "--clinic", "{c}", "--propose", "--proposed"], 2, "not allowed with argument"),
        (["invite", "--clinic", "999", "--propose"], 1, "no clinic"),
        (["invite", "--clinic", "{c}", "--patient", "999"], 1, "999"),
        (["invite", "--clinic", "{c}", "--patient", "{b}", "--patient", "{e}", "--patient", "{b}"], 0, ""),
        (["attendance", "set", "--clinic", "{c}", "--patient", "{b}", "--status", "maybe"], 2, "invalid choice"),
        (["attendance", "set", "--clinic", "{c}", "--patient", "{b}", "--status", "cancelled"], 2, "needs --by"),
        (["attendance", "set", "--clinic", "{c}", "--patient", "{b}", "--status", "declined", "--by", "family"], 2,
         "--by is only for --status cancelled"),
        (["attendance", "set", "--clinic", "{c}", "--patient", "{a}", "--status", "confirmed"], 1,
         "is not invited to clinic"),
        (["attendance", "set", "--clinic", "{c}", "--patient", "{b}", "--status", "attended"], 1,
         "cannot be marked attended (record that they confirmed first)"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_writes_nothing(
    db: Database,
    db_url: str,
    world: DueWorld,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
    message: str,
) -> None:
    ids = {"c": world.clinic_id, "a": world.patients["Apple"], "b": world.patients["Bramble"]}
    ids["e"] = world.patients["Elder"]
    if argv[0] == "attendance":
        cli(capsys, "invite", "--clinic", str(world.clinic_id), "--patient", str(ids["b"]), "--db", db_url)
    before = written(db)
    got, out, err = cli(capsys, *[a.format(**ids) for a in argv], "--db", db_url)
    if code == 0:  # a patient named twice is invited once
        assert (got, err) == (0, "") and out.count("invited patient") == 2
        return
    assert got == code
    # argparse prints its usage above the one line that says what is wrong
    assert message in (one_line(err) if code == 1 else err.strip().splitlines()[-1]) and "Traceback" not in err
    assert written(db) == before


def test_inviting_someone_already_invited_invites_none_of_the_list(
    db: Database, db_url: str, world: DueWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    cid, b, d = str(world.clinic_id), str(world.patients["Bramble"]), str(world.patients["Damson"])
    cli(capsys, "invite", "--clinic", cid, "--patient", b, "--db", db_url)
    before = written(db)
    code, _out, err = cli(capsys, "invite", "--clinic", cid, "--patient", d, "--patient", b, "--db", db_url)
    assert code == 1
    assert one_line(err) == "coordinator-tui: Testpatient Bramble is already invited to this clinic (marked invited)"
    assert written(db) == before
