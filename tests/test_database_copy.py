"""``coordinator-tui copy``: an SQLite database moved whole into a new, empty database (PostgreSQL, or a new file).

The target is ``db_url`` (marked both_databases: a new SQLite file, and a fresh database on the PostgreSQL server),
the source the demo database written by ``coordinator-tui demo --db FILE``. Also: ``backup`` and ``restore`` on a
server URL point to the server's own tools in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from coordinator_tui import cli, clock
from coordinator_tui.db import open_database
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.database_copy import CopyError, copied_tables, copy_database
from tests.conftest import FIXED_NOW
from tests.postgres_server import both_databases
from tests.safety_helpers import add_patient, file_digest
from tests.test_audit_append_only import _raw_connection


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo database, written by the demo command (built once per module; never changed by the tests)."""
    clock.set_fixed_now(FIXED_NOW)
    audit.set_current_user("test-coordinator")
    path = tmp_path_factory.mktemp("copy-source") / "demo.db"
    try:
        assert cli.main(["demo", "--db", str(path)]) == 0
    finally:
        clock.set_fixed_now(None)
        audit.set_current_user(None)
    yield path


def _all_rows(target: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, every column, in primary-key order, read through the app's own types."""
    db = open_database(target, create=False, writable=False)
    try:
        with db.engine.connect() as conn:
            return {
                table.name: [tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]
                for table in copied_tables()
            }
    finally:
        db.dispose()


@both_databases
def test_copy_keeps_every_row_of_every_table(demo_file: Path, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = file_digest(demo_file)
    assert cli.main(["copy", "--from", str(demo_file), "--to", db_url]) == 0
    out = capsys.readouterr().out.splitlines()
    source, copied = _all_rows(str(demo_file)), _all_rows(db_url)
    assert copied == source
    assert len(source["auditevent"]) > 0 and len(source["patient"]) == 40
    total = sum(len(rows) for rows in source.values())
    assert out[-1] == f"copied {total} rows; counts match"
    assert {line.split()[0]: int(line.split()[1]) for line in out[:-1]} == {
        name: len(rows) for name, rows in source.items()
    }
    assert file_digest(demo_file) == before, "the source is only read"
    assert cli.main(["check", "--db", db_url]) == 0


@both_databases
def test_a_second_copy_into_the_filled_target_is_refused_and_changes_nothing(
    demo_file: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["copy", "--from", str(demo_file), "--to", db_url]) == 0
    copied = _all_rows(db_url)
    capsys.readouterr()
    assert cli.main(["copy", "--from", str(demo_file), "--to", db_url]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "is not empty" in captured.err
    assert _all_rows(db_url) == copied


@both_databases
def test_a_target_with_a_single_patient_is_refused(demo_file: Path, db_url: str) -> None:
    db = open_database(db_url)
    try:
        with db.session() as s:
            add_patient(s, 1)
    finally:
        db.dispose()
    with pytest.raises(CopyError, match="is not empty"):
        copy_database(str(demo_file), db_url)
    assert len(_all_rows(db_url)["patient"]) == 1


@both_databases
def test_a_record_saved_after_the_copy_gets_a_fresh_id(demo_file: Path, db_url: str) -> None:
    copy_database(str(demo_file), db_url)
    largest = max(row[0] for row in _all_rows(db_url)["patient"])
    largest_event = max(row[0] for row in _all_rows(db_url)["auditevent"])
    db = open_database(db_url, create=False)
    try:
        with db.session() as s:
            new_id = add_patient(s, 900)
    finally:
        db.dispose()
    assert new_id == largest + 1
    rows = _all_rows(db_url)
    assert [row for row in rows["patient"] if row[0] == new_id]
    assert max(row[0] for row in rows["auditevent"]) > largest_event, "its audit entry got a fresh id too"


@both_databases
def test_the_copied_audit_log_still_refuses_update_and_delete(demo_file: Path, db_url: str) -> None:
    copy_database(str(demo_file), db_url)
    db = open_database(db_url, create=False)
    try:
        with _raw_connection(db) as (conn, refused):
            with pytest.raises(refused, match="append-only"):
                conn.execute("""UPDATE auditevent SET "user" = 'someone-else'""")
            with pytest.raises(refused, match="append-only"):
                conn.execute("DELETE FROM auditevent")
    finally:
        db.dispose()
    assert _all_rows(db_url)["auditevent"] == _all_rows(str(demo_file))["auditevent"]


@both_databases
def test_a_copy_that_fails_midway_leaves_the_target_empty(demo_file: Path, db_url: str) -> None:
    copied: list[str] = []

    def fail_after_three_tables(table: str, rows: int) -> None:
        copied.append(table)
        if len(copied) == 3:
            raise RuntimeError("stopped midway")

    with pytest.raises(RuntimeError, match="stopped midway"):
        copy_database(str(demo_file), db_url, progress=fail_after_three_tables)
    assert all(rows == [] for rows in _all_rows(db_url).values()), "all or nothing"
    copy_database(str(demo_file), db_url)  # and the empty target still takes the copy
    assert _all_rows(db_url) == _all_rows(str(demo_file))


def test_copy_refuses_what_it_cannot_copy(demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.db"
    assert cli.main(["copy", "--from", str(missing), "--to", str(tmp_path / "new.db")]) == 1
    assert not missing.exists() and not (tmp_path / "new.db").exists()
    assert cli.main(["copy", "--from", "postgresql+psycopg://u:secret@nowhere/db", "--to", str(tmp_path / "x.db")]) == 1
    assert cli.main(["copy", "--from", str(demo_file), "--to", str(demo_file)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("coordinator-tui: ") for line in err)
    assert "no database" in err[0] and "SQLite database file" in err[1] and "same database file" in err[2]
    assert "secret" not in "".join(err)


@pytest.mark.parametrize("command", [["backup"], ["restore", "backup.db"]])
def test_backup_and_restore_on_a_server_point_to_the_server_tools(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+psycopg://alice:secret@db.example.org/coordinator?sslmode=require"
    assert cli.main([*command, "--db", url]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    tool = "pg_dump" if command[0] == "backup" else "pg_restore"
    assert tool in captured.err and "Team setup" in captured.err
    assert "secret" not in captured.err and "alice:***@db.example.org" in captured.err
