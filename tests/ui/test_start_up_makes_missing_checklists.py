"""The app's start-up work makes the transition checklists an interrupted import left unmade, and says so; with
none to make it writes nothing and says nothing. Both databases (issue 21)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.errors import DatabaseBusyError
from coordinator_tui.models import AuditEvent
from coordinator_tui.services.transition import checklists_to_make
from coordinator_tui.ui.app import CoordinatorApp
from tests.test_import_checklists import _import_people, _register_on_the_form, assert_same_checklists_as_the_form
from tests.ui.helpers import SIZE, pilot_test, settle, showing

pytestmark = pytest.mark.both_databases


def _interrupted_import(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The patients saved, then every checklist batch refused: the import says so."""

    def busy(*_args: Any) -> None:
        raise DatabaseBusyError("the database is busy: another coordinator is saving")

    with monkeypatch.context() as patched:
        patched.setattr(checklists_to_make, "_make_batch", busy)
        result = _import_people(db, tmp_path)
    assert result.checklist_problem.startswith("made for 0 of 4 patients, then stopped")
    with db.read_session() as session:
        assert len(checklists_to_make.imported_patients_without_items(session)) == 4


@pilot_test
async def test_the_app_makes_an_interrupted_imports_checklists_at_start_up(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _interrupted_import(db, tmp_path, monkeypatch)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        said = [notification.message for notification in app._notifications]
        assert said == ["Transition checklists made for 4 imported patients (an import had not finished)."]
        text = await showing(pilot, "Examplefamily, Testchild")
        assert "Examplefamily, Testchild" in text and "⚠ none named               0" not in text, "the list reloaded"
    with db.read_session() as session:
        assert checklists_to_make.imported_patients_without_items(session) == []
    _register_on_the_form(db)
    assert_same_checklists_as_the_form(db)


@pilot_test
async def test_with_nothing_to_make_the_start_up_writes_nothing(db: Database, tmp_path: Path) -> None:
    assert _import_people(db, tmp_path).checklist_problem == ""
    with db.read_session() as session:
        audited = len(session.exec(select(AuditEvent.id)).all())
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not [n for n in app._notifications if "Transition checklists" in n.message]
    with db.read_session() as session:
        assert len(session.exec(select(AuditEvent.id)).all()) == audited
