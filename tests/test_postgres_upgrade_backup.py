"""A backup before a schema upgrade on a database server: ``pg_dump -Fc`` into the workstation's backup folder,
owner-only, readable by ``pg_restore``; the upgrade refused, nothing changed, in one line saying how to back up by
hand and how to upgrade without the dump (``coordinator-tui upgrade --no-server-backup``) when pg_dump is missing or
fails; the password given to pg_dump in its environment, never in its arguments or a message.

The older database is made the way an older installation left it: migrated to the current schema, then downgraded
with the migrations to 0008."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from coordinator_tui.db import Database, current_revision, downgrade, head_revision, open_database
from coordinator_tui.models import Patient
from coordinator_tui.server_dump import ServerDumpError, libpq_uri
from coordinator_tui.user_dirs import data_dir
from tests import postgres_server
from tests.postgres_server import both_databases, target_of
from tests.safety_helpers import add_patient, child_env, run_cli

OLDER = "0008"
PASSWORD = "dump-pw-never-shown-3"


@pytest.fixture
def server_url(request: pytest.FixtureRequest) -> str:
    return postgres_server.require_server(request.config)


@pytest.fixture
def fresh_url(server_url: str) -> Iterator[str]:
    with postgres_server.fresh_database(server_url) as url:
        yield url


def _older_database(url: str) -> int:
    """The database at ``url`` with one patient, left at schema OLDER; the patient's id."""
    database = open_database(url)
    try:
        with database.session() as s:
            patient_id = add_patient(s, 1)
        downgrade(database, OLDER)
        return patient_id
    finally:
        database.dispose()


def _revision(url: str) -> str | None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return current_revision(conn)
    finally:
        engine.dispose()


def _backups() -> list[Path]:
    folder = data_dir() / "backups"
    return sorted(folder.glob("*.dump")) if folder.exists() else []


def _restore_list(dump: Path) -> str:
    listed = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    return listed.stdout


def _path_without_pg_dump(tmp_path: Path) -> str:
    """A PATH with no pg_dump on it (python for the command's subprocess kept reachable by its full path)."""
    empty = tmp_path / "no-pg-dump-bin"
    empty.mkdir(exist_ok=True)
    return str(empty)


def test_an_older_server_database_is_dumped_then_upgraded(fresh_url: str) -> None:
    patient_id = _older_database(fresh_url)
    said: list[str] = []
    database = open_database(fresh_url, create=False, progress=said.append)
    try:
        assert database.upgraded_from == OLDER
        dump = database.upgrade_backup
        assert dump is not None and dump.parent == data_dir() / "backups"
        # Each slow step is said as it starts: the dump (where it goes), then the upgrade.
        steps = f"(schema {OLDER} to {head_revision()})"
        assert said == [
            f"backing up the database before upgrading it {steps}: pg_dump writes {dump}…",
            f"upgrading the database {steps}…",
        ]
        database_name = sa.engine.make_url(fresh_url).database
        assert dump.name.startswith(f"{database_name}.pre-{head_revision()}-20261125T100000Z")
        assert dump.name.endswith(".dump")
        assert stat.S_IMODE(dump.stat().st_mode) == 0o600
        assert stat.S_IMODE(dump.parent.stat().st_mode) == 0o700
        assert not [p for p in dump.parent.iterdir() if p.name.startswith(".")]  # no temporary file left
        listing = _restore_list(dump)
        assert "TABLE DATA public patient" in listing and "TABLE DATA public auditevent" in listing
        with database.read_session() as s:
            assert s.get(Patient, patient_id) is not None
    finally:
        database.dispose()
    assert _revision(fresh_url) == head_revision()


def test_the_dump_holds_the_database_as_it_was_before_the_upgrade(fresh_url: str, server_url: str) -> None:
    _older_database(fresh_url)
    open_database(fresh_url, create=False).dispose()
    [dump] = _backups()
    with postgres_server.fresh_database(server_url) as restored_url:
        restored = sa.engine.make_url(restored_url)
        result = subprocess.run(
            ["pg_restore", "--exit-on-error", "--no-owner", f"--dbname={libpq_uri(restored)}", str(dump)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert _revision(restored_url) == OLDER


def test_without_pg_dump_the_upgrade_is_refused_in_one_line_and_nothing_changes(
    fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _older_database(fresh_url)
    monkeypatch.setenv("PATH", _path_without_pg_dump(tmp_path))
    with pytest.raises(ServerDumpError) as info:
        open_database(fresh_url, create=False)
    message = str(info.value)
    assert "\n" not in message
    assert f"needs upgrading (schema {OLDER} to {head_revision()})" in message
    assert "pg_dump is not installed" in message and "Nothing was changed" in message
    assert "pg_dump -Fc --file=FILE --dbname='postgresql://" in message
    assert "coordinator-tui upgrade --no-server-backup --db 'postgresql+psycopg://" in message
    assert _revision(fresh_url) == OLDER
    assert _backups() == []


def test_a_failing_pg_dump_is_one_line_with_its_own_words(
    fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pg_dump older than the server refuses with these two lines (PostgreSQL's own wording); the server here is the
    # only version installed, so a pg_dump that says it stands in for an older one.
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'pg_dump: error: aborting because of server version mismatch' >&2\n"
        "echo 'pg_dump: detail: server version: 17.2; pg_dump version: 15.18' >&2\n"
        "exit 1\n"
    )
    fake.chmod(0o755)
    _older_database(fresh_url)
    monkeypatch.setenv("PATH", str(fake.parent))
    with pytest.raises(ServerDumpError) as info:
        open_database(fresh_url, create=False)
    message = str(info.value)
    assert "\n" not in message
    assert (
        "pg_dump failed: aborting because of server version mismatch; server version: 17.2; pg_dump version: 15.18"
    ) in message
    assert _revision(fresh_url) == OLDER
    backups = data_dir() / "backups"
    assert list(backups.iterdir()) == []  # the half-written file is gone


@pytest.fixture(scope="module")
def owner_server() -> Iterator[postgres_server.OwnServer]:
    """A server of this module's own that asks for the owner role's password (the suite's server trusts its socket)."""
    with postgres_server.own_server(tls=False, role="coordinator_owner", password=PASSWORD, database="coord") as server:
        yield server


@pytest.fixture
def owner_url(owner_server: postgres_server.OwnServer) -> Iterator[str]:
    """A fresh database on ``owner_server``; its URL holds the password."""
    with postgres_server.fresh_database(owner_server.url) as url:
        assert PASSWORD in url
        yield url


def test_the_password_goes_to_pg_dump_in_its_environment_only(
    owner_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _older_database(owner_url)
    # A pg_dump that notes its arguments and whether it was given a password, then runs the real one.
    real = subprocess.run(["sh", "-c", "command -v pg_dump"], capture_output=True, text=True).stdout.strip()
    assert real, "pg_dump is needed for this test"
    wrapper = tmp_path / "bin" / "pg_dump"
    wrapper.parent.mkdir()
    noted = tmp_path / "noted.txt"
    wrapper.write_text(
        f'#!/bin/sh\necho "$@" > {noted}\necho "password given: ${{PGPASSWORD:+yes}}" >> {noted}\nexec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    database = open_database(owner_url, create=False)
    database.dispose()
    assert database.upgraded_from == OLDER and database.upgrade_backup is not None
    assert "TABLE DATA public patient" in _restore_list(database.upgrade_backup)
    text = noted.read_text()
    assert PASSWORD not in text and "password given: yes" in text
    url = sa.engine.make_url(owner_url)
    assert f"--dbname=postgresql://coordinator_owner@127.0.0.1:{url.port}/{url.database}" in text


def test_the_refusal_never_shows_the_password(owner_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _older_database(owner_url)
    monkeypatch.setenv("PATH", _path_without_pg_dump(tmp_path))
    with pytest.raises(ServerDumpError) as info:
        open_database(owner_url, create=False)
    message = str(info.value)
    assert PASSWORD not in message and "coordinator_owner:***@127.0.0.1" in message
    assert "--db 'postgresql+psycopg://coordinator_owner@127.0.0.1:" in message


def test_a_wrong_password_is_refused_before_any_dump(owner_url: str, tmp_path: Path) -> None:
    _older_database(owner_url)
    wrong = owner_url.replace(PASSWORD, "not-" + PASSWORD)
    result = run_cli(["upgrade", "--db", wrong], tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert "refused the login" in result.stderr and result.stderr.count("\n") == 1
    assert PASSWORD not in result.stderr
    assert _revision(owner_url) == OLDER
    assert _backups() == []


# --- the upgrade command, on both databases -------------------------------------------------------------------------


def _older_and_closed(db: Database) -> str:
    """The test's database with a patient, taken back to the older schema and closed: its target, for a command."""
    target = target_of(db)
    with db.session() as s:
        add_patient(s, 1)
    downgrade(db, OLDER)
    db.dispose()
    return target


@both_databases
def test_the_upgrade_command_says_what_it_did_and_where_the_backup_is(db: Database, tmp_path: Path) -> None:
    target = _older_and_closed(db)
    result = run_cli(["upgrade", "--db", target], tmp_path)
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith(f"upgraded {db.location} from schema {OLDER} to {head_revision()}; ")
    saved = Path(line.split("the database as it was is saved as ", 1)[1])
    # The slow steps were said on standard error as they started (a server's dump can take seconds).
    upgrading = f"coordinator-tui: upgrading the database (schema {OLDER} to {head_revision()})…"
    dumping = f"coordinator-tui: backing up the database before upgrading it (schema {OLDER} to {head_revision()}): "
    expected = [upgrading] if db.path is not None else [f"{dumping}pg_dump writes {saved}…", upgrading]
    assert result.stderr.splitlines() == expected
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    if db.path is not None:
        assert saved.parent == db.path.parent and saved.name.endswith(".bak")
    else:
        assert saved.parent == tmp_path / "xdg-data" / "coordinator-tui" / "backups" and saved.suffix == ".dump"
        assert "TABLE DATA public patient" in _restore_list(saved)
        assert PASSWORD not in result.stdout
    again = run_cli(["upgrade", "--db", target], tmp_path)
    assert again.returncode == 0 and again.stdout.strip() == (
        f"{db.location} is already at the current schema ({head_revision()}): nothing to upgrade"
    )


@both_databases
def test_any_command_opening_an_older_database_says_the_upgrade_on_standard_error(db: Database, tmp_path: Path) -> None:
    target = _older_and_closed(db)
    add = ["professionals", "add", "--given", "Testdoctor", "--family", "Example", "--discipline", "cardiology"]
    result = run_cli([*add, "--db", target], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Added ")  # what the command says, on standard output as ever
    said = result.stderr.splitlines()
    assert said[-1] == f"coordinator-tui: upgrading the database (schema {OLDER} to {head_revision()})…"
    assert len(said) == (1 if db.path is not None else 2)
    if db.path is None:
        assert said[0].startswith("coordinator-tui: backing up the database before upgrading it")


def test_upgrade_without_pg_dump_is_refused_then_done_when_the_user_chooses_no_server_backup(
    fresh_url: str, tmp_path: Path
) -> None:
    _older_database(fresh_url)
    refused = _cli_without_pg_dump(["upgrade", "--db", fresh_url], tmp_path)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "pg_dump is not installed" in refused.stderr
    assert "coordinator-tui upgrade --no-server-backup" in refused.stderr
    assert _revision(fresh_url) == OLDER
    done = _cli_without_pg_dump(["upgrade", "--no-server-backup", "--db", fresh_url], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("; no backup was made (--no-server-backup)")
    assert _revision(fresh_url) == head_revision()


def _cli_without_pg_dump(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = child_env(tmp_path, {"PATH": _path_without_pg_dump(tmp_path)})
    return subprocess.run([sys.executable, "-m", "coordinator_tui", *args], capture_output=True, text=True, env=env)
