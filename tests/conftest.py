"""Shared fixtures: a fresh database per test, a fixed clock, a fixed audit user."""

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


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(str(tmp_path / "test.db"))
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
