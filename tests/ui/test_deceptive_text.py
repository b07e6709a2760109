"""Pilot: a name pasted with a right-to-left override or an escape is refused, naming the character (issue 14)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlmodel import select
from textual import events
from textual.geometry import Region

from coordinator_tui.db import Database
from coordinator_tui.models import Patient
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.patient_record import PatientRecordScreen
from coordinator_tui.ui.screens.patients import PatientTable
from coordinator_tui.ui.widgets.forms import FormScreen
from tests.ui.helpers import SIZE, cell_texts, pilot_test, settle, type_text


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("Anna\u202eSmith", "contains a right-to-left override (U+202E); remove it"),
        ("Anna\u2067Smith", "contains a right-to-left isolate (U+2067); remove it"),
        ("Anna\x1b[2JSmith", "contains an escape character (U+001B); remove it"),
    ],
)
@pilot_test
async def test_a_pasted_name_with_a_hidden_control_is_refused_naming_it(
    app: CoordinatorApp, demo_db: Database, pasted: str, message: str
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        assert app.focused is not None
        app.focused.post_message(events.Paste(pasted))  # into Given name, as a terminal delivers a paste
        await pilot.pause()
        await pilot.press("tab")
        await type_text(pilot, "Newcombe")
        await pilot.press("tab")
        await type_text(pilot, "943 476 5919")
        await pilot.press("tab")
        await type_text(pilot, "NEW-1")
        await pilot.press("tab")
        await type_text(pilot, "14/03/2012")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form, "the form stays open, with what was pasted"
        assert form.values()["given_name"] == pasted
        assert form.field_errors == {"given_name": f"⚠ {message}"}
    with demo_db.session() as session:
        assert session.exec(select(Patient).where(Patient.family_name == "Newcombe")).first() is None


def _drawn_text(app: CoordinatorApp) -> str:
    """The text of every line the current screen's widgets draw (after the app's line filters)."""
    texts = []
    for widget in app.screen.walk_children(with_self=True):
        if widget.region.area:
            for strip in widget.render_lines(Region(0, 0, widget.region.width, widget.region.height)):
                texts.append("".join(segment.text for segment in strip))
    return "\n".join(texts)


@pilot_test
async def test_a_stored_name_with_escapes_is_never_drawn_raw(demo_db: Database) -> None:
    """A name saved before these characters were refused (or by another program): the list shows them visibly and
    nothing the app draws holds them raw, so the terminal obeys none (no window title, no colours, no reordering)."""
    assert demo_db.path is not None
    conn = sqlite3.connect(demo_db.path)
    try:
        hospital_number = conn.execute("SELECT hospital_number FROM patient WHERE id = 1").fetchone()[0]
        conn.execute(
            "UPDATE patient SET given_name = ?, family_name = ? WHERE id = 1",
            ("Anna\x1b[41m\x1b]0;owned\x07", "\u202eSmith\x9b2J"),
        )
        conn.commit()
    finally:
        conn.close()
    app = CoordinatorApp(database=demo_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await type_text(pilot, hospital_number)
        await settle(pilot)
        table = app.screen.query_one(PatientTable)
        assert cell_texts(table, 0) == ["\u202eSmith\x9b2J, Anna\x1b[41m\x1b]0;owned\x07"]
        drawn = _drawn_text(app)
        assert "<U+202E>Smith\\x9b2J, Anna" in drawn  # shown visibly (cut to the column)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PatientRecordScreen)
        for screen_text in (drawn, _drawn_text(app)):
            assert not set(screen_text) & set("\x1b\x07\x9b\u202e"), repr(screen_text)
        assert "Anna[41m]0;owned Smith2J" in _drawn_text(app)  # the record's heading: controls dropped
