"""A database server (PostgreSQL): one line per connection failure, a save that never waits long behind another,
who changed what under a database role, and an audit log that TRUNCATE cannot empty.

The connection failures that need password authentication or TCP (a wrong password) run against a second, small
server started here on loopback with password logins and no TLS (``password_server``); TLS has its own servers
(tests/test_postgres_tls.py); the rest use the server the suite is configured with (``tests/postgres_server.py``)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from coordinator_tui import db as db_module
from coordinator_tui.db import (
    BUSY_MESSAGE,
    Database,
    DatabaseBusyError,
    DriverMissingError,
    NewerDatabaseError,
    ServerDatabaseMissingError,
    ServerLoginError,
    ServerUnreachableError,
    current_revision,
    open_database,
)
from coordinator_tui.models import AuditAction, AuditEvent, Patient
from coordinator_tui.services.safety import audit
from tests import postgres_server
from tests.postgres_server import both_databases
from tests.safety_helpers import add_patient, run_cli

PASSWORD = "s3cret-pw-not-shown"
ROLE = "coordinator_pw"
DBNAME = "coordinator_pw_db"
SERVER_USER = os.environ.get("COORDINATOR_PG_USER", "coordinator-ci")


@pytest.fixture
def server_url(request: pytest.FixtureRequest) -> str:
    return postgres_server.require_server(request.config)


@pytest.fixture
def fresh_url(server_url: str) -> Iterator[str]:
    with postgres_server.fresh_database(server_url) as url:
        yield url


def _one_line_without_password(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert PASSWORD not in message


def _refused(url: str, error: type[Exception]) -> str:
    with pytest.raises(error) as info:
        open_database(url, create=False)
    message = str(info.value)
    _one_line_without_password(message)
    return message


# --- one line per failure -------------------------------------------------------------------------------------------


def test_a_driver_that_is_not_installed_says_which_package_to_install() -> None:
    message = _refused(f"postgresql+psycopg2://alice:{PASSWORD}@db.example/coordinator", DriverMissingError)
    assert "psycopg2" in message and "pip install -e '.[postgres]'" in message
    assert "postgresql+psycopg2://alice:***@db.example/coordinator" in message


def test_a_server_that_is_down_is_named_without_the_password(tmp_path: Path, server_url: str) -> None:
    # A socket folder with no server in it.
    url = f"postgresql+psycopg://alice:{PASSWORD}@/coordinator?host={tmp_path}"
    message = _refused(url, ServerUnreachableError)
    assert message.startswith("no database server answers at postgresql+psycopg://alice:***@/coordinator")


def test_a_command_says_it_in_one_line_with_exit_status_1(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://alice:{PASSWORD}@/coordinator?host={tmp_path}"
    result = run_cli(["list", "patients", "--db", url], tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("coordinator-tui: no database server answers at postgresql+psycopg://alice:***@")
    _one_line_without_password(result.stderr.rstrip("\n"))


def test_a_host_that_does_not_exist(server_url: str) -> None:
    message = _refused(
        f"postgresql+psycopg://alice:{PASSWORD}@no-such-host.invalid/coordinator", ServerUnreachableError
    )
    assert "host name cannot be found" in message and "alice:***@no-such-host.invalid" in message


def test_an_unknown_role(server_url: str) -> None:
    url = sa.engine.make_url(server_url).set(username="no_such_role", password=PASSWORD)
    message = _refused(url.render_as_string(hide_password=False), ServerLoginError)
    assert "refused the login" in message and "no_such_role:***@" in message


def test_a_missing_database(server_url: str) -> None:
    url = sa.engine.make_url(server_url).set(database="no_such_database")
    message = _refused(url.render_as_string(hide_password=False), ServerDatabaseMissingError)
    assert "no such database" in message and "/no_such_database" in message


@pytest.fixture(scope="module")
def password_server() -> Iterator[str]:
    """A throwaway server on loopback that asks for passwords (scram) and has no TLS; yields its URL with the right
    password for ``ROLE`` (``postgres_server.own_server``; TLS: tests/test_postgres_tls.py)."""
    with postgres_server.own_server(tls=False, role=ROLE, password=PASSWORD, database=DBNAME) as server:
        yield server.url


def test_the_right_password_opens_the_database(password_server: str) -> None:
    database = open_database(password_server, create=False)
    try:
        assert database.url.endswith(f"{ROLE}:***@127.0.0.1:{database.engine.url.port}/{DBNAME}")
    finally:
        database.dispose()


def test_a_wrong_password(password_server: str) -> None:
    url = password_server.replace(PASSWORD, "wrong-" + PASSWORD[::-1])
    message = _refused(url, ServerLoginError)
    assert "refused the login" in message and f"{ROLE}:***@127.0.0.1" in message
    assert PASSWORD[::-1] not in message


# --- a newer schema refused on both databases -----------------------------------------------------------------------


@both_databases
def test_a_newer_schema_is_refused_and_left_as_it_was(db: Database, db_url: str) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999future'")
    db.dispose()
    with pytest.raises(NewerDatabaseError) as info:
        open_database(db_url, create=False)
    message = str(info.value)
    assert "newer version" in message and "9999future" in message
    assert message.endswith("The file was not changed" if db.path is not None else "The database was not changed")
    with db.engine.connect() as conn:
        assert current_revision(conn) == "9999future"
    db.dispose()


# --- a save never waits long behind another (PostgreSQL) ------------------------------------------------------------


def test_a_save_behind_a_held_row_lock_gives_up_with_the_busy_message(fresh_url: str) -> None:
    here = open_database(fresh_url)
    try:
        with here.session() as s:
            patient_id = add_patient(s, 1)
        with psycopg.connect(
            sa.engine.make_url(fresh_url).set(drivername="postgresql").render_as_string(False)
        ) as other:
            # The other coordinator's save: its transaction holds the patient's row and stays open.
            other.execute("SELECT id FROM patient WHERE id = %s FOR UPDATE", (patient_id,))
            started = time.monotonic()
            with pytest.raises(DatabaseBusyError) as info, here.session() as s:
                patient = s.get(Patient, patient_id)
                assert patient is not None
                patient.school = "Waiting School"
            waited = time.monotonic() - started
            assert str(info.value) == BUSY_MESSAGE
            assert db_module.LOCK_TIMEOUT_MS / 1000 - 0.5 <= waited < db_module.LOCK_TIMEOUT_MS / 1000 + 5
            other.rollback()
        # The other save is over: the same save goes through.
        with here.session() as s:
            patient = s.get(Patient, patient_id)
            assert patient is not None
            patient.school = "Waiting School"
    finally:
        here.dispose()


# --- who changed what: the database role ----------------------------------------------------------------------------


@contextlib.contextmanager
def _second_role(url: str, role: str) -> Iterator[str]:
    """A login role allowed to use the database at ``url``; yields the URL as that role, dropped afterwards.

    Made by the server's administrator (``postgres``, trusted on the test server's socket, as .ci/postgres-server
    sets it up): the tests' own role may create databases but not roles."""
    base = sa.engine.make_url(url)
    admin = sa.create_engine(base.set(username="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"the server's administrator (postgres) cannot log in to make a second role: {exc.orig}")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'GRANT ALL ON DATABASE "{base.database}" TO {role}')
            conn.exec_driver_sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
            conn.exec_driver_sql(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        yield base.set(username=role).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


def _saved_by(url: str) -> str:
    database = open_database(url)
    try:
        with database.session() as s:
            event = audit.record_change(s, AuditAction.CREATE, "patient", 7, after={"given_name": "Testy"})
        with database.read_session() as s:
            saved = s.get(AuditEvent, event.id)
            assert saved is not None
            return saved.user
    finally:
        database.dispose()


def test_the_audit_log_names_the_database_role_when_it_differs(fresh_url: str) -> None:
    open_database(fresh_url).dispose()  # migrated
    audit.set_current_user(None)  # the operating-system user, as the app runs
    os_user = audit.current_user()
    role = f"coordinator_alice_{os.getpid()}"
    try:
        with _second_role(fresh_url, role) as alice_url:
            assert _saved_by(alice_url) == f"{os_user} (role {role})"
        assert _saved_by(fresh_url) == f"{os_user} (role {sa.engine.make_url(fresh_url).username})"
    finally:
        audit.set_current_user("test-coordinator")


def test_sqlite_names_the_operating_system_user_alone(tmp_path: Path) -> None:
    audit.set_current_user(None)
    try:
        assert _saved_by(str(tmp_path / "c.db")) == audit.current_user()
    finally:
        audit.set_current_user("test-coordinator")


# --- the audit log cannot be emptied by TRUNCATE --------------------------------------------------------------------


def test_truncate_of_the_audit_log_is_refused(fresh_url: str) -> None:
    database = open_database(fresh_url)
    try:
        with database.session() as s:
            audit.record_change(s, AuditAction.CREATE, "patient", 1, after={"given_name": "Testy"})
    finally:
        database.dispose()
    with psycopg.connect(sa.engine.make_url(fresh_url).set(drivername="postgresql").render_as_string(False)) as raw:
        raw.autocommit = True
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            raw.execute("TRUNCATE auditevent")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            raw.execute("TRUNCATE auditevent CASCADE")
        count = raw.execute("SELECT count(*) FROM auditevent").fetchone()
        assert count == (1,)
