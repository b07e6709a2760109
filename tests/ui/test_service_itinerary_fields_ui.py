"""The Service screen from an empty database, keys only: what to bring (one item a line, the defaults shown while
blank) and the secure-email marker, checked on the form and saved."""

from __future__ import annotations

from sqlmodel import select

from coordinator_tui.config import Settings
from coordinator_tui.db import Database
from coordinator_tui.models import Service
from coordinator_tui.services.itineraries.itinerary import DEFAULT_WHAT_TO_BRING
from coordinator_tui.ui.app import CoordinatorApp
from coordinator_tui.ui.screens.service_details import ServiceDetailsScreen
from coordinator_tui.ui.widgets.forms import FormScreen, FormTextArea
from tests.postgres_server import both_databases
from tests.ui.helpers import SIZE, pilot_test, settle, type_text

pytestmark = both_databases

#: Tabs from the first field (the name) to what to bring: short name, phone, address, four day times, reminder,
#: walking, time zone, what to bring.
TABS_TO_BRING = 11


@pilot_test
async def test_what_to_bring_and_the_secure_marker_from_an_empty_database(db: Database) -> None:
    app = CoordinatorApp(database=db, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ServiceDetailsScreen)
        assert DEFAULT_WHAT_TO_BRING[0] in str(screen.query_one("#service-what-to-bring").render())

        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        await pilot.press(*["tab"] * TABS_TO_BRING)
        bring = form.input_for("what_to_bring")
        assert isinstance(bring, FormTextArea) and form.focused is bring
        assert DEFAULT_WHAT_TO_BRING[0] in str(bring.placeholder)  # the defaults shown while blank
        await type_text(pilot, "Medicines")
        await pilot.press("enter")  # a new line: the next item
        await type_text(pilot, "x" * 121)
        await pilot.press("tab")
        await type_text(pilot, "[secure]")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # refused: the second item is too long, what was typed kept
        assert "item 2 is too long" in form.field_errors["what_to_bring"]
        assert form.values()["secure_email_marker"] == "[secure]"
        assert db.read(lambda s: s.exec(select(Service)).first()) is None

        form.set_focus(bring)
        await pilot.press("ctrl+end")
        for _ in range(121):
            await pilot.press("backspace")
        await type_text(pilot, "Wheelchair")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        with db.read_session() as s:
            row = s.exec(select(Service)).one()
        assert (row.what_to_bring, row.secure_email_marker) == ("Medicines\nWheelchair", "[secure]")
        assert str(screen.query_one("#service-what-to-bring").render()) == "Medicines; Wheelchair"
        assert str(screen.query_one("#service-secure-email-marker").render()) == "[secure]"
