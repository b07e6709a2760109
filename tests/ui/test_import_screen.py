"""Pilot tests of the Import dialog (command palette, "Import a spreadsheet"): a file with problems lists them and
is not imported; a good file is checked, then imported on ^s with its patients' checklists; the kind changes with
^t; a file that cannot be read is one line and the typed path stays. SQLite and PostgreSQL; fictional people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Static

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, Contact, Patient, TransitionItem
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.spreadsheet_import import ImportScreen
from tests.import_data import CONTACT_HEADER, PATIENT_HEADER, nhs_numbers, write_csv
from tests.postgres_server import both_databases
from tests.ui.helpers import pilot_test, settle, showing, type_text

pytestmark = both_databases

SIZE = (110, 36)
NHS = nhs_numbers(3, start=800_000)
GOOD = [[NHS[0], "FICT0001", "Testchild", "Examplefamily", "14/03/2012", ""],
        [NHS[1], "FICT0002", "Otherchild", "Samplefamily", "02/11/2009", ""]]  # fmt: skip
BAD = [[NHS[0], "FICT0001", "Testchild", "Examplefamily", "31/02/2012", ""],
       [NHS[1], "FICT0002", "", "Samplefamily", "02/11/2009", ""]]  # fmt: skip


def count(db: Database, model: type) -> int:
    return db.read(lambda s: s.exec(select(sa.func.count()).select_from(model)).one())


async def open_dialog(pilot: Pilot[Any]) -> ImportScreen:
    await settle(pilot)
    await pilot.press("ctrl+p")
    await settle(pilot)
    await type_text(pilot, "Import a spreadsheet")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    return screen


def text_of(screen: ImportScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def enter_path(pilot: Pilot[Any], screen: ImportScreen, path: str) -> None:
    screen.query_one("#import-file", Input).value = ""
    await type_text(pilot, path)
    await pilot.press("enter")
    await settle(pilot)


@pilot_test
async def test_problems_are_listed_and_nothing_is_imported(db: Database, tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", PATIENT_HEADER, BAD)
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        await enter_path(pilot, screen, str(bad))
        summary = text_of(screen, "#import-summary")
        assert "bad.csv: 2 rows; 0 to create" in summary and "2 problems" in summary
        assert "problem: row 2, Date of birth: 31/02/2012 is not a real date" in summary
        assert "problem: row 3, Given name: is required" in summary
        assert "2 problems in the file" in text_of(screen, "#import-message")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "nothing is imported until they are corrected" in text_of(screen, "#import-message")
        assert pilot.app.screen is screen
    assert count(db, Patient) == 0 and count(db, AuditEvent) == 0


@pilot_test
async def test_a_checked_file_is_imported_on_ctrl_s(db: Database, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "caseload.csv", PATIENT_HEADER, GOOD)
    contacts = write_csv(
        tmp_path / "families.csv", CONTACT_HEADER, [[NHS[0], "Alex Examplefamily", "parent", "07700 900123", "", ""]]
    )
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        await type_text(pilot, str(good))
        await pilot.press("ctrl+s")  # not checked yet: nothing happens but a message
        await settle(pilot)
        assert "Check the file first" in text_of(screen, "#import-message")
        assert count(db, Patient) == 0
        await pilot.press("enter")
        await settle(pilot)
        summary = text_of(screen, "#import-summary")
        assert "caseload.csv: 2 rows; 2 to create, 0 to update, 0 unchanged" in summary and "^s" in summary
        assert count(db, Patient) == 0  # checking writes nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ImportScreen)
        [note] = [n for n in pilot.app._notifications if n.title == "Imported"]
        assert note.message.startswith("2 created, 0 updated, 0 unchanged")
        assert "2 patients" in await showing(pilot, "2 patients")  # the patient list behind reloaded
        # Contacts next: ^t changes the kind; a changed kind needs a new check.
        screen = await open_dialog(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert text_of(screen, "#import-kind").startswith("Importing: contacts")
        await enter_path(pilot, screen, str(contacts))
        assert "1 to create" in text_of(screen, "#import-summary")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ImportScreen)
    patients = db.read(lambda s: s.exec(select(Patient)).all())
    assert sorted(p.given_name for p in patients) == ["Otherchild", "Testchild"]
    assert count(db, TransitionItem) > 0 and count(db, Contact) == 1


@pilot_test
async def test_an_unreadable_file_is_one_line_and_the_path_stays(db: Database, tmp_path: Path) -> None:
    missing_column = write_csv(tmp_path / "short.csv", ["NHS number", "Given name"], [[NHS[2], "Testchild"]])
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        await enter_path(pilot, screen, str(tmp_path / "nowhere.xlsx"))
        assert text_of(screen, "#import-message").startswith("✗ no file ")
        assert screen.query_one("#import-file", Input).value == str(tmp_path / "nowhere.xlsx")
        await enter_path(pilot, screen, str(missing_column))
        message = text_of(screen, "#import-message")
        assert "has no 'Hospital number', 'Family name', 'Date of birth' columns" in message
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ImportScreen)
    assert count(db, Patient) == 0
