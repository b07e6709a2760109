"""Every form of the app, and how to open it on the demo data (for the tests every form must pass).

Each case opens its form from the screen a coordinator would use, and names a text field to type into.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from textual.pilot import Pilot

from coordinator_tui.db import Database
from coordinator_tui.services.people import care_team as care_team_service
from coordinator_tui.services.people.professionals import list_professionals
from coordinator_tui.ui.screens.clinic_days import ClinicEventScreen
from coordinator_tui.ui.widgets.forms import FormScreen
from coordinator_tui.ui.widgets.picker import PickerScreen
from tests.ui.clinic_days_support import open_first_clinic
from tests.ui.helpers import settle, type_text
from tests.ui.test_patient_record import first_patient, open_record
from tests.ui.test_transition_ui import open_transition_tab

Opener = Callable[[Pilot[Any], Database], Awaitable[None]]


@dataclass(frozen=True)
class FormCase:
    go: Opener  # to the screen the form opens from
    open_here: Opener  # open the form from that screen
    field: str  # a text field of the form, to type into


def keys(*pressed: str) -> Opener:
    async def opener(pilot: Pilot[Any], db: Database) -> None:
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return opener


async def patients(pilot: Pilot[Any], db: Database) -> None:
    await settle(pilot)
    await pilot.press("down")  # out of the filter box, onto the list


def record(*tab: str) -> Opener:
    async def opener(pilot: Pilot[Any], db: Database) -> None:
        await open_record(pilot, first_patient(db))
        await keys(*tab)(pilot, db)

    return opener


async def add_member(pilot: Pilot[Any], db: Database) -> None:
    patient = first_patient(db)
    with db.session() as session:
        in_team = {v.professional.id for v in care_team_service.team(session, patient.id)}  # type: ignore[arg-type]
        outsider = next(p for p in list_professionals(session) if p.id not in in_team)
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PickerScreen)
    await type_text(pilot, f"{outsider.given_name} {outsider.family_name}")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def clinic_timetable(pilot: Pilot[Any], db: Database) -> None:
    screen = await open_first_clinic(pilot, "timetable")
    assert isinstance(screen, ClinicEventScreen) and screen.timetable is not None
    screen._select_appointment(int(screen.timetable.active[0].appointment.id))  # type: ignore[arg-type]
    await settle(pilot)


async def transition_tab(pilot: Pilot[Any], db: Database) -> None:
    await open_transition_tab(pilot)


FORMS: dict[str, FormCase] = {
    "new patient": FormCase(patients, keys("n"), "given_name"),
    "edit patient": FormCase(record(), keys("p"), "school"),
    "accessibility needs": FormCase(record("f"), keys("i"), "interpreter_language"),
    "new contact": FormCase(record("f"), keys("a"), "name"),
    "edit contact": FormCase(record("f"), keys("e"), "email"),
    "add care-team member": FormCase(record(), add_member, "role"),
    "edit care-team member": FormCase(record(), keys("e"), "role"),
    "travel and hotel": FormCase(record("v"), keys("e"), "hotel_name"),
    "book appointment": FormCase(clinic_timetable, keys("b"), "discipline"),
    "move appointment": FormCase(clinic_timetable, keys("m"), "discipline"),
    "transition item done on a date": FormCase(transition_tab, keys("D"), "completed_on"),
    "transition item not applicable": FormCase(transition_tab, keys("n"), "reason"),
    "transition note": FormCase(transition_tab, keys("e"), "note"),
    "service details": FormCase(keys("f6"), keys("e"), "short_name"),
    "milestone rules file": FormCase(keys("f6"), keys("r"), "rules_file"),
    "new professional": FormCase(keys("f4"), keys("a"), "given_name"),
    "edit professional": FormCase(keys("f4"), keys("e"), "role"),
    "new venue": FormCase(keys("f7"), keys("a"), "name"),
    "edit venue": FormCase(keys("f7"), keys("e"), "name"),
    "new room": FormCase(keys("f7"), keys("r"), "name"),
    "edit room": FormCase(keys("f7", "enter"), keys("e"), "building"),
    "walking time between buildings": FormCase(keys("f7"), keys("w"), "minutes"),
    "new clinic": FormCase(keys("f3"), keys("a"), "name"),
    "plan a year of clinics": FormCase(keys("f3"), keys("p"), "name"),
    "move a clinic": FormCase(keys("f3"), keys("m"), "new_start"),
}


async def open_form(pilot: Pilot[Any], db: Database, case: FormCase) -> FormScreen[Any]:
    """Open the case's form from the screen it belongs to (already shown)."""
    await case.open_here(pilot, db)
    form = pilot.app.screen
    assert isinstance(form, FormScreen), form
    return form
