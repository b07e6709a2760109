"""A database whose pages are damaged: the app starts at once, checks the pages in the background, then says so
and refuses every save, keeping the coordinator's typed form on screen (issue 12)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from coordinator_tui.config import Settings
from coordinator_tui.db import Database, open_database
from coordinator_tui.models import Patient
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.widgets.forms import FormScreen
from tests.safety_helpers import file_digest
from tests.test_open_faults import _damage_index
from tests.ui.helpers import SIZE, pilot_test, settle
from tests.ui.test_patient_record import first_patient, open_record


@pytest.fixture
def damaged_db(demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    copy = tmp_path / "damaged.db"
    shutil.copyfile(demo_template, copy)
    _damage_index(copy)
    database = open_database(str(copy), create=False)  # the header and schema are sound: it opens
    yield database
    database.dispose()


@pilot_test
async def test_damaged_pages_are_reported_and_every_save_is_refused(damaged_db: Database) -> None:
    assert damaged_db.path is not None and damaged_db.damaged is None
    patient = first_patient(damaged_db)
    app = CoordinatorApp(database=damaged_db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert damaged_db.damaged is not None, "the quick check ran in the background"
        shown = [n.message for n in app._notifications]
        assert any("damaged" in text and "quick check" in text for text in shown), shown
        before = file_digest(damaged_db.path)
        await open_record(pilot, patient)  # reading goes on
        await pilot.press("p")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        form.query_one("#field-school", Input).value = "Typed before the refusal"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form, "the form stays open"
        assert "damaged" in form.message and "\n" not in form.message
        assert form.values()["school"] == "Typed before the refusal"
    assert file_digest(damaged_db.path) == before
    with damaged_db.read_session() as session:
        assert session.get(Patient, patient.id).school != "Typed before the refusal"  # type: ignore[union-attr]
