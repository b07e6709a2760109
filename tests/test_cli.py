"""The command line, run in-process (``cli.main``) and once through the installed ``coordinator-tui`` script.

Usage errors exit 2; database problems exit 1 with one line on standard error and leave every file as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from coordinator_tui import clock
from coordinator_tui.cli import build_parser, main
from coordinator_tui.db import open_database
from coordinator_tui.models import Appointment, ClinicEvent, Patient, Professional
from coordinator_tui.services.demo_data import load_demo
from coordinator_tui.services.safety import audit
from tests.conftest import FIXED_NOW
from tests.postgres_server import both_databases, fresh_database, require_server

DEMO_PATIENTS = 6
SCRIPT = Path(sys.executable).with_name("coordinator-tui")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One small demo database for the whole module (the autouse clock fixture is per test: fix it here too)."""
    clock.set_fixed_now(FIXED_NOW)
    audit.set_current_user("test-coordinator")
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    database = open_database(str(path))
    try:
        with database.session() as session:
            load_demo(session, patients=DEMO_PATIENTS, seed=11)
    finally:
        database.dispose()
        clock.set_fixed_now(None)
        audit.set_current_user(None)
    yield path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_target(request: pytest.FixtureRequest) -> Iterator[str]:
    """The same demo data as ``demo_db``, for the commands that read the data: the SQLite file, and a database on
    the PostgreSQL server (``--postgres-url``; skipped with the reason when none is configured)."""
    if request.param == "sqlite":
        yield str(request.getfixturevalue("demo_db"))
        return
    with fresh_database(require_server(request.config)) as url:
        clock.set_fixed_now(FIXED_NOW)
        audit.set_current_user("test-coordinator")
        database = open_database(url)
        try:
            with database.session() as session:
                load_demo(session, patients=DEMO_PATIENTS, seed=11)
        finally:
            database.dispose()
            clock.set_fixed_now(None)
            audit.set_current_user(None)
        yield url


def digest_of(target: str) -> str | None:
    """The file's digest; None for a database on a server (no file to compare: only SQLite's can be checked so)."""
    return None if "://" in target else digest(Path(target))


def location_of(target: str) -> str:
    if "://" not in target:
        return target
    database = open_database(target)
    try:
        return database.location
    finally:
        database.dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def files_in(folder: Path) -> list[str]:
    """Files under ``folder``, leaving out the app's own log (written on every run, in the user data dir)."""
    logs = folder / "xdg-data" / "coordinator-tui" / "logs"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and logs not in p.parents)


def one_line_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("coordinator-tui: ")
    assert "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------------------------------------------------
# Help and usage errors
# ------------------------------------------------------------------------------------------------------------


def subcommands() -> list[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


def test_every_subcommand_is_known() -> None:
    assert {"demo", "list", "check"} <= set(subcommands())


@pytest.mark.parametrize("argv", [["--help"], *[[name, "--help"] for name in subcommands()]])
def test_help_exits_zero(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 0
    assert out.startswith("usage: coordinator-tui")
    if argv[0] == "copy":  # between two databases: --from one --to the other
        assert "--from" in out and "--to" in out
    else:
        assert "--db" in out or argv[0] == "--help"
    assert err == ""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from coordinator_tui import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"coordinator-tui {__version__}"


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["frobnicate"], "invalid choice"),
        (["list"], "required"),
        (["list", "cats"], "invalid choice"),
        (["list", "patients", "--format", "xml"], "invalid choice"),  # csv or xlsx only
        (["demo", "--patients", "0"], "between 1 and 100000"),
        (["demo", "--patients", "lots"], "not a whole number"),
        (["demo", "--patients", "-3"], "between 1 and 100000"),
        (["demo", "--seed", "abc"], "invalid int value"),
        (["check", "extra"], "unrecognized arguments"),
        (["--db"], "expected one argument"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], complaint: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert "usage: coordinator-tui" in err and complaint in err
    assert files_in(tmp_path) == []  # nothing created


# ------------------------------------------------------------------------------------------------------------
# demo
# ------------------------------------------------------------------------------------------------------------


def test_demo_writes_the_data_set_and_refuses_an_existing_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "new-folder" / "demo.db"
    code, out, err = run(capsys, "demo", "--db", str(path), "--patients", "3", "--seed", "5")
    assert (code, err) == (0, "")
    assert out.startswith("wrote 3 patients, 25 professionals, ")
    assert out.rstrip().endswith(f"appointments to {path}")
    database = open_database(str(path), writable=False)
    try:
        with database.session() as s:
            assert len(s.exec(select(Patient)).all()) == 3
            assert len(s.exec(select(Professional)).all()) == 25
            assert len(s.exec(select(ClinicEvent)).all()) >= 6
    finally:
        database.dispose()

    before = digest(path)
    code, out, err = run(capsys, "demo", "--db", str(path))
    assert code == 1 and out == ""
    assert "already exists" in one_line_error(err)
    assert digest(path) == before


def test_demo_needs_an_explicit_db(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("COORDINATOR_DB", str(tmp_path / "real.db"))
    code, out, err = run(capsys, "demo")
    assert code == 1 and out == ""
    assert "demo --db PATH" in one_line_error(err)
    assert files_in(tmp_path) == []


def test_demo_into_an_empty_existing_file_is_allowed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    code, out, _ = run(capsys, "demo", "--db", str(path), "--patients", "1")
    assert code == 0 and out.startswith("wrote 1 patients")


# ------------------------------------------------------------------------------------------------------------
# list
# ------------------------------------------------------------------------------------------------------------


def json_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_list_patients_table(capsys: pytest.CaptureFixture[str], demo_target: str) -> None:
    before = digest_of(demo_target)
    code, out, err = run(capsys, "list", "patients", "--db", demo_target)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["id", "name", "NHS", "number", "hospital", "no.", "date", "of", "birth", "school"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[-1] == f"({DEMO_PATIENTS} patients)"
    rows = lines[2:-1]
    assert len(rows) == DEMO_PATIENTS
    database = open_database(demo_target, writable=False)
    try:
        with database.session() as s:
            people = sorted(s.exec(select(Patient)).all(), key=lambda p: (p.family_name, p.given_name, p.id))
    finally:
        database.dispose()
    for row, person in zip(rows, people, strict=True):
        assert row.startswith(f"{person.id} ".ljust(2))
        assert f"{person.family_name}, {person.given_name}" in row
        nhs = person.nhs_number
        assert f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" in row
        assert person.date_of_birth.strftime("%d/%m/%Y") in row
    assert digest_of(demo_target) == before  # listing writes nothing


@pytest.mark.parametrize(
    ("kind", "model", "extra"),
    [("patients", Patient, set()), ("professionals", Professional, set()), ("clinics", ClinicEvent, set()),
     ("appointments", Appointment, {"professional_ids"})],
)  # fmt: skip
def test_list_json_has_every_column(
    capsys: pytest.CaptureFixture[str], demo_target: str, kind: str, model: type, extra: set[str]
) -> None:
    code, out, err = run(capsys, "list", kind, "--db", demo_target, "--json")
    assert (code, err) == (0, "")
    records = json_lines(out)
    assert records
    for record in records:
        assert set(record) == set(model.model_fields) | extra
        assert isinstance(record["id"], int)
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids)


def test_list_patients_json_values(capsys: pytest.CaptureFixture[str], demo_target: str) -> None:
    _, out, _ = run(capsys, "list", "patients", "--db", demo_target, "--json")
    records = json_lines(out)
    assert len(records) == DEMO_PATIENTS
    assert [(r["family_name"], r["given_name"]) for r in records] == sorted(
        (r["family_name"], r["given_name"]) for r in records
    )
    for r in records:
        born = dt.date.fromisoformat(r["date_of_birth"])  # type: ignore[arg-type]
        assert r["date_of_birth"] == born.isoformat()
        assert dt.date.fromisoformat(r["registered_on"]) >= born  # type: ignore[arg-type]
        assert str(r["nhs_number"]).startswith("999") and len(str(r["nhs_number"])) == 10
        assert isinstance(r["large_print"], bool) and isinstance(r["version"], int)


def test_list_clinics_json_in_date_order(capsys: pytest.CaptureFixture[str], demo_target: str) -> None:
    _, out, _ = run(capsys, "list", "clinics", "--db", demo_target, "--json")
    records = json_lines(out)
    starts = [dt.date.fromisoformat(r["start_date"]) for r in records]  # type: ignore[arg-type]
    assert starts == sorted(starts)
    assert all(r["status"] in {"planned", "confirmed", "cancelled"} for r in records)
    assert all(dt.time.fromisoformat(r["day_start"]) == dt.time(9) for r in records)  # type: ignore[arg-type]
    assert all(isinstance(r["service_id"], int) for r in records)


def test_list_appointments_json_datetimes_are_aware(capsys: pytest.CaptureFixture[str], demo_target: str) -> None:
    _, out, _ = run(capsys, "list", "appointments", "--db", demo_target, "--json")
    records = json_lines(out)
    assert len(records) > DEMO_PATIENTS * 10
    _, clinics_out, _ = run(capsys, "list", "clinics", "--db", demo_target, "--json")
    clinic_order = [c["id"] for c in json_lines(clinics_out)]
    _, patients_out, _ = run(capsys, "list", "patients", "--db", demo_target, "--json")
    patient_ids = {p["id"] for p in json_lines(patients_out)}
    previous: tuple[int, dt.datetime] | None = None
    for r in records:
        start = dt.datetime.fromisoformat(r["start"])  # type: ignore[arg-type]
        end = dt.datetime.fromisoformat(r["end"])  # type: ignore[arg-type]
        assert start.tzinfo is not None and start.utcoffset() == dt.timedelta(0)
        assert end.tzinfo is not None and end > start
        assert r["clinic_event_id"] in clinic_order and r["patient_id"] in patient_ids
        assert isinstance(r["professional_ids"], list) and r["professional_ids"]
        assert all(isinstance(p, int) for p in r["professional_ids"])  # type: ignore[attr-defined]
        assert r["status"] in {"proposed", "booked", "arrived", "fulfilled", "cancelled", "noshow"}
        key = (clinic_order.index(r["clinic_event_id"]), start)
        assert previous is None or key >= previous  # clinic by clinic, in time order
        previous = key


def test_list_appointments_table(capsys: pytest.CaptureFixture[str], demo_target: str) -> None:
    code, out, _ = run(capsys, "list", "appointments", "--db", demo_target)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["id", "clinic", "when", "until"]
    assert lines[-1].startswith("(") and lines[-1].endswith(" appointments)")
    # Times are shown in local wall-clock time, day first.
    assert any(" 09:00 " in line for line in lines[2:-1])


def test_list_professionals_table(capsys: pytest.CaptureFixture[str], demo_target: str) -> None:
    code, out, _ = run(capsys, "list", "professionals", "--db", demo_target)
    assert code == 0
    assert out.splitlines()[-1] == "(25 professionals)"
    assert "@example.org" in out


@both_databases
def test_list_on_a_new_empty_database(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    open_database(db_url).dispose()
    before = digest_of(db_url)
    for kind in ("patients", "professionals", "clinics", "appointments"):
        code, out, err = run(capsys, "list", kind, "--db", db_url)
        assert (code, err) == (0, ""), err
        assert out.splitlines()[-1] == f"(0 {kind})"
        code, out, err = run(capsys, "list", kind, "--db", db_url, "--json")
        assert (code, out, err) == (0, "", "")
    assert digest_of(db_url) == before


def test_db_option_before_or_after_the_subcommand_and_env(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, expected, _ = run(capsys, "list", "patients", "--json", "--db", str(demo_db))
    assert run(capsys, "--db", str(demo_db), "list", "patients", "--json")[1] == expected
    monkeypatch.setenv("COORDINATOR_DB", str(demo_db))
    assert run(capsys, "list", "patients", "--json") == (0, expected, "")
    code, _, _ = run(capsys, "check")
    assert code == 0
    # --db wins over the environment.
    code, _, err = run(capsys, "list", "patients", "--db", str(tmp_path / "other.db"))
    assert code == 1 and "no database at" in err


def test_default_location_is_used_without_db_or_env(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "list", "patients")
    assert code == 1
    expected = tmp_path / "xdg-data" / "coordinator-tui" / "coordinator.db"
    assert one_line_error(err) == f"coordinator-tui: no database at {expected}"
    assert files_in(tmp_path) == []


# ------------------------------------------------------------------------------------------------------------
# check
# ------------------------------------------------------------------------------------------------------------


def test_check_ok(capsys: pytest.CaptureFixture[str], demo_target: str) -> None:
    before = digest_of(demo_target)
    code, out, err = run(capsys, "check", "--db", demo_target)
    assert (code, err) == (0, "")
    assert out == f"ok: {location_of(demo_target)} passed the integrity, foreign-key and schema-version checks\n"
    assert digest_of(demo_target) == before


def test_check_reports_a_damaged_database(capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path) -> None:
    import sqlite3

    copy = tmp_path / "damaged.db"
    shutil.copy(demo_db, copy)
    conn = sqlite3.connect(copy)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = replace(sql, '(nhs_number)', '(hospital_number)') "
        "WHERE name = 'ix_patient_nhs_number'"
    )
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("UPDATE contact SET patient_id = 9999 WHERE id = 1")
    conn.commit()
    conn.close()
    code, out, _ = run(capsys, "check", "--db", str(copy))
    assert code == 1
    lines = out.splitlines()
    assert "problem: foreign key: table contact row 1 refers to a missing patient" in lines
    assert any(line.startswith("problem: integrity: ") and "ix_patient_nhs_number" in line for line in lines)
    assert lines[-1].endswith(f"problem(s) found in {copy}")


# ------------------------------------------------------------------------------------------------------------
# Databases that cannot be used: one line, exit 1, nothing written
# ------------------------------------------------------------------------------------------------------------


COMMANDS = [["list", "patients"], ["list", "appointments", "--json"], ["check"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_database(capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "nowhere" / "coordinator.db"
    code, out, err = run(capsys, *command, "--db", str(path))
    assert code == 1 and out == ""
    assert one_line_error(err) == f"coordinator-tui: no database at {path}"
    assert not path.parent.exists()
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_unreadable_database(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:  # fmt: skip
    # Tests run as root, for whom os.access ignores file modes: simulate a file the user may not read.
    copy = tmp_path / "locked.db"
    shutil.copy(demo_db, copy)
    before = digest(copy)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, m, *a, **k: False if Path(p) == copy and m & os.R_OK else real_access(p, m, *a, **k)
    )
    code, out, err = run(capsys, *command, "--db", str(copy))
    assert code == 1 and out == ""
    assert "cannot be read (permission denied)" in one_line_error(err)
    assert digest(copy) == before
    assert files_in(tmp_path) == ["locked.db"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file; simulated above")
def test_unreadable_database_real_mode(capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "locked.db"
    shutil.copy(demo_db, copy)
    copy.chmod(0o000)
    try:
        code, _, err = run(capsys, "list", "patients", "--db", str(copy))
    finally:
        copy.chmod(0o600)
    assert code == 1 and "cannot be read" in one_line_error(err)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,nhs\nPip,9434765919\n", "not an SQLite file"),
        (b"SQLite format 3\x00" + bytes(range(256)) * 16, "damaged (corrupt)"),
    ],
)
@pytest.mark.parametrize("command", COMMANDS)
def test_corrupt_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str], content: bytes, message: str
) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(content)
    code, out, err = run(capsys, *command, "--db", str(path))
    assert code == 1 and out == ""
    assert message in one_line_error(err)
    assert path.read_bytes() == content
    assert files_in(tmp_path) == ["corrupt.db"]


@pytest.mark.parametrize("command", COMMANDS)
def test_newer_database(capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path, command: list[str]) -> None:
    import sqlite3

    copy = tmp_path / "newer.db"
    shutil.copy(demo_db, copy)
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed9999'")
    conn.commit()
    conn.close()
    before = digest(copy)
    code, out, err = run(capsys, *command, "--db", str(copy))
    assert code == 1 and out == ""
    assert "newer version of Coordinator TUI" in one_line_error(err)
    assert digest(copy) == before


# ------------------------------------------------------------------------------------------------------------
# The installed script
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed next to this Python")
def test_installed_script(demo_db: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COORDINATOR_")}
    env["COORDINATOR_DB"] = str(demo_db)
    listed = subprocess.run(
        [str(SCRIPT), "list", "clinics", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) >= 6
    assert all(json.loads(line)["name"].startswith("Combined clinic") for line in listed.stdout.splitlines())

    missing = subprocess.run(
        [str(SCRIPT), "check", "--db", str(tmp_path / "absent.db")], capture_output=True, text=True, env=env,
        timeout=60,
    )  # fmt: skip
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr == f"coordinator-tui: no database at {tmp_path / 'absent.db'}\n"

    usage = subprocess.run([str(SCRIPT), "list"], capture_output=True, text=True, env=env, timeout=60)
    assert usage.returncode == 2 and "usage:" in usage.stderr

    module = subprocess.run(
        [sys.executable, "-m", "coordinator_tui", "check"], capture_output=True, text=True, env=env, timeout=60
    )
    assert module.returncode == 0 and module.stdout.startswith("ok: ")
