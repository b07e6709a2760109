"""The PostgreSQL server the database-facing suites also run on, and a fresh database on it per test.

The server is named by ``--postgres-url`` or ``COORDINATOR_TEST_POSTGRES_URL`` (``.ci/run`` starts one with
``.ci/postgres-server`` and sets the variable). Its role must be allowed to create databases: each test gets its own
(``t_<random>``), made from that URL and dropped (``WITH (FORCE)``) afterwards, so tests and pytest-xdist workers
never share one. Without a server the PostgreSQL variants are skipped with a reason; under ``CI=true`` they fail.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from coordinator_tui.db import Database

ENV_VAR = "COORDINATOR_TEST_POSTGRES_URL"
OPTION = "--postgres-url"
NO_SERVER = f"no PostgreSQL server configured: set {ENV_VAR} or {OPTION}"

#: Mark a module or test whose subject is the data: its ``db`` (and ``db_url``) run on SQLite and on PostgreSQL.
both_databases = pytest.mark.both_databases


def configured_url(config: pytest.Config) -> str | None:
    return config.getoption("postgres_url", default=None) or os.environ.get(ENV_VAR) or None


def require_server(config: pytest.Config) -> str:
    """The server's URL, or skip (fail under CI=true, where .ci/run always configures one)."""
    url = configured_url(config)
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{NO_SERVER} (CI=true: .ci/run starts one, so a missing server is a failure)")
    pytest.skip(NO_SERVER)


def _admin_engine(url: str) -> sa.Engine:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@contextlib.contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new, empty database on the server behind ``url``; yields its URL (password kept), dropped afterwards."""
    base = sa.engine.make_url(url)
    name = f"t_{secrets.token_hex(8)}"
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def target_of(database: Database) -> str:
    """What a command's ``--db`` takes to open ``database`` again: its file, or its URL (password kept)."""
    if database.path is not None:
        return str(database.path)
    return database.engine.url.render_as_string(hide_password=False)
