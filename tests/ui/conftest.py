"""UI test fixtures: the demo data set (40 patients, seed 7) as of the fixed clock, one copy per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from coordinator_tui import clock
from coordinator_tui.config import Settings
from coordinator_tui.db import Database, open_database
from coordinator_tui.services.demo_data import load_demo
from coordinator_tui.services.safety import audit
from coordinator_tui.ui.app import CoordinatorApp
from tests.conftest import FIXED_NOW

DEMO_PATIENTS = 40
DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database written once per test session (transition checklists included)."""
    path = tmp_path_factory.mktemp("ui-demo") / "demo.db"
    clock.set_fixed_now(FIXED_NOW)
    audit.set_current_user("test-coordinator")
    db = open_database(str(path))
    try:
        with db.session() as session:
            load_demo(session, patients=DEMO_PATIENTS, seed=DEMO_SEED)
    finally:
        db.dispose()
        clock.set_fixed_now(None)
        audit.set_current_user(None)
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_template, copy)
    database = open_database(str(copy))
    yield database
    database.dispose()


@pytest.fixture
def app(demo_db: Database) -> CoordinatorApp:
    return CoordinatorApp(database=demo_db, settings=Settings())
