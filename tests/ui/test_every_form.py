"""What every form of the app must do (issue 14): keys act in the order typed, every text field stops at its limit,
and Escape on a changed form asks before throwing the changes away (the safe answer keeps the form as typed)."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from coordinator_tui.db import Database
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.forms import FormTextArea
from tests.ui.busy import burst, last_audit_id, typed
from tests.ui.form_cases import FORMS, open_form
from tests.ui.helpers import SIZE, pilot_test, settle

#: Clear the field, type, correct, go to the next field and back, type on: the field ends as "Zedx".
EDITING_BURST = ["end", "ctrl+u", *typed("Zed1"), "backspace", "tab", "shift+tab", "end", "x"]


@pytest.mark.parametrize("kind", list(FORMS))
@pilot_test
async def test_every_form_keeps_the_key_order_stops_at_limits_and_asks_before_discarding(
    kind: str, app: CoordinatorApp, demo_db: Database
) -> None:
    case = FORMS[kind]
    async with app.run_test(size=SIZE) as pilot:
        await case.go(pilot, demo_db)
        under = app.screen
        audit_before = last_audit_id(demo_db)

        # Unchanged: Escape closes it at once.
        form = await open_form(pilot, demo_db, case)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is under

        form = await open_form(pilot, demo_db, case)
        assert all(box.max_length > 0 for box in form.query(Input))
        assert all(area.max_length > 0 for area in form.query(FormTextArea))

        # Keys typed in one burst while the CPU is busy act in order, in the field that has the focus.
        shown = form.values()
        field = form.input_for(case.field)
        form.set_focus(field)
        await burst(pilot, EDITING_BURST)
        assert app.focused is field
        assert form.values() == {**shown, case.field: "Zedx"}

        # Changed: Escape asks; "n", Enter (the default) and Escape keep the form as typed.
        for answer in ("n", "enter", "escape"):
            await pilot.press("escape")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, ConfirmScreen)
            assert dialog.question == f"Discard the changes to “{form.form_title}”?"
            await pilot.press(answer)
            await settle(pilot)
            assert app.screen is form
            assert app.focused is field
            assert form.values()[case.field] == "Zedx"

        # "y" throws the changes away: the form closes and nothing is saved.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is under
    assert last_audit_id(demo_db) == audit_before
