"""After a bulk fill of a database on a server (``demo``, ``copy`` from SQLite) the planner's statistics of the app's
tables are current (``db.refresh_statistics``: ANALYZE), so the screens' first queries are not planned as if the
tables were empty (a patient record of the 10,000-patient demo read every appointment link without them). SQLite
keeps no statistics and is left as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from coordinator_tui.db import Database, refresh_statistics
from coordinator_tui.services.safety.database_copy import copy_database
from tests import postgres_server
from tests.postgres_server import both_databases
from tests.safety_helpers import add_patient, run_cli, write_demo_database

TABLES = ("patient", "appointment", "appointmentprofessional", "auditevent")


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with postgres_server.fresh_database(postgres_server.require_server(request.config)) as url:
        yield url


def _analyzed(url: str) -> dict[str, bool]:
    """Whether each of TABLES has been analyzed (by hand: the tests' server runs no autovacuum)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            query = sa.text(
                "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname IN :names"
            ).bindparams(sa.bindparam("names", expanding=True))
            rows = conn.execute(query, {"names": list(TABLES)}).all()
    finally:
        engine.dispose()
    return {str(name): bool(done) for name, done in rows}


@both_databases
def test_refresh_statistics_analyzes_a_servers_tables_and_leaves_sqlite_alone(db: Database, db_url: str) -> None:
    with db.session() as s:
        add_patient(s, 1)
    if db.path is not None:
        refresh_statistics(db)
        with db.read_session() as s:
            names = s.connection().exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
        assert not [name for name in names if name.startswith("sqlite_stat")]
        return
    assert _analyzed(db_url) == dict.fromkeys(TABLES, False)  # nothing has analyzed them yet
    refresh_statistics(db)
    assert _analyzed(db_url) == dict.fromkeys(TABLES, True)
    with db.read_session() as s:
        estimate = s.connection().exec_driver_sql("SELECT reltuples FROM pg_class WHERE relname = 'patient'").scalar()
    assert estimate == 1


def test_demo_on_a_server_leaves_the_statistics_current(fresh_url: str, tmp_path: Path) -> None:
    result = run_cli(["demo", "--patients", "12", "--db", fresh_url], tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr
    assert _analyzed(fresh_url) == dict.fromkeys(TABLES, True)


def test_copy_to_a_server_leaves_the_statistics_current(fresh_url: str, tmp_path: Path) -> None:
    source = write_demo_database(tmp_path / "desk.db")
    copy_database(str(source), fresh_url)  # makes the tables, then copies every row
    assert _analyzed(fresh_url) == dict.fromkeys(TABLES, True)
