"""Pilot: a name pasted with a right-to-left override or an escape is refused, naming the character (issue 14)."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual import events

from coordinator_tui.db import Database
from coordinator_tui.models import Patient
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.widgets.forms import FormScreen
from tests.ui.helpers import SIZE, pilot_test, settle, type_text


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
