"""Shared fixtures: a fresh database per test, a fixed clock, a fixed audit user.

``db`` is a fresh SQLite file; in a module or test marked ``both_databases`` (``tests/postgres_server.py``) it is
parametrised over ``sqlite`` and ``postgresql``: a fresh database on the configured server, migrated by the app's
own ``open_database(url)``. ``db_url`` is what ``db`` was opened from (a file path, or the server URL), for tests
that open the database again themselves (a command, a second process)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from coordinator_tui import clock
from coordinator_tui.db import Database, open_database
from coordinator_tui.services.safety import audit
from tests import postgres_server

# The demo data and every snapshot are built "as of" this moment: a Wednesday in late November 2026.
FIXED_NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_clock_and_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    clock.set_fixed_now(FIXED_NOW)
    audit.set_current_user("test-coordinator")
    # Keep every test away from the real user's data and config directories.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("COORDINATOR_DB", raising=False)
    monkeypatch.delenv("COORDINATOR_SETTINGS", raising=False)
    yield
    clock.set_fixed_now(None)
    audit.set_current_user(None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        postgres_server.OPTION,
        dest="postgres_url",
        default=None,
        help=f"SQLAlchemy URL of a PostgreSQL server whose role may create databases (or {postgres_server.ENV_VAR}); "
        "tests marked both_databases also run there, each in a fresh database",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_databases: the db fixture runs on SQLite and on PostgreSQL (see tests/postgres_server.py)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("db_backend", ["sqlite", "postgresql"], indirect=True)


def pytest_report_header(config: pytest.Config) -> str:
    url = postgres_server.configured_url(config)
    if not url:
        return f"PostgreSQL: {postgres_server.NO_SERVER} (both_databases tests run on SQLite only)"
    import sqlalchemy as sa

    return f"PostgreSQL: {sa.engine.make_url(url).render_as_string(hide_password=True)}"


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` unless parametrised by ``both_databases``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Where the test's database lives: a file path for SQLite (not created yet), a fresh database's URL on the
    server for PostgreSQL (empty until opened)."""
    if db_backend == "sqlite":
        yield str(tmp_path / "test.db")
        return
    server = postgres_server.require_server(request.config)
    with postgres_server.fresh_database(server) as url:
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default demo data set, built once per test module (the clock and user are fixed here too: the autouse
    fixture is per test). Copy it with ``copy_database`` before changing it."""
    from tests.safety_helpers import write_demo_database

    clock.set_fixed_now(FIXED_NOW)
    audit.set_current_user("test-coordinator")
    try:
        path = write_demo_database(tmp_path_factory.mktemp("demo-template") / "demo.db")
    finally:
        clock.set_fixed_now(None)
        audit.set_current_user(None)
    yield path


def copy_database(source: Path, dest: Path) -> Path:
    """A copy of a closed database file, made by SQLite's backup API (never by copying the file's bytes)."""
    source_conn, dest_conn = sqlite3.connect(source), sqlite3.connect(dest)
    try:
        source_conn.backup(dest_conn)
    finally:
        dest_conn.close()
        source_conn.close()
    return dest
