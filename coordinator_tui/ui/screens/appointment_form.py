"""The booking and move form of a clinic day, with the free start times that fit offered in a list.

The fields are the clinic screen's (``clinic_days.booking_fields``) with one more, "Free start times", just
before the start: the starts that fit the professional, the room and the family (``free_times``), nearest the
time the form opened with first. Choosing one (Enter or the arrows in the list) writes it into Start; a time can
still be typed there, and one that does not fit is refused on save with the reason, everything typed kept. The
list is worked out again, in a worker, whenever the day, the length, the room, the professionals or (booking)
the patient change.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from textual import on
from textual.widgets import Input, Select

from coordinator_tui.services.clinics.free_times import FreeTimes, free_times_for_form, free_times_sequence
from coordinator_tui.ui.widgets.forms import FormField, FormScreen, SaveUseCase

FREE_FIELD = "free_time"
#: The fields whose change changes which starts are free (the start itself does not: it is what is chosen).
WATCHED = ("day", "minutes", "room", "professionals", "joint_with", "patient")


def free_time_field() -> FormField:
    """The list of free starts (filled in once the form is shown)."""
    return FormField(FREE_FIELD, "Free start times", "", kind="choice", choices=[("— working them out… —", "")])


def free_times_options(times: FreeTimes | None) -> list[tuple[str, str]]:
    """What the list offers: a first line saying what it holds (or why it is empty), then the free starts."""
    if times is None:
        return [("— give the day and the minutes first —", "")]
    if not times.times:
        return [(f"— none free: {times.reason} —", "")]
    count = len(times.times)
    first = f"— {count} free start{'s' if count != 1 else ''}, nearest first —"  # short: one line at 80 columns
    return [(first, ""), *free_times_sequence(times)]


class AppointmentFormScreen(FormScreen[int]):
    """Book or move an appointment; the free start times are offered in a list that fills in Start."""

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        on_save: SaveUseCase[int],
        *,
        clinic_id: int,
        moving_id: int | None = None,
        description: str = "",
        save_label: str = "Save",
    ) -> None:
        super().__init__(title, fields, on_save, description=description, save_label=save_label)
        self.clinic_id = clinic_id
        self.moving_id = moving_id
        self.free_times: FreeTimes | None = None
        self.free_times_loaded = False  # True once the list shows what is free (tests wait for it)
        start = next((str(f.value) for f in fields if f.name == "start_time"), "")
        self.near = start  # the list is ordered by closeness to the start the form opened with

    def on_mount(self) -> None:
        # FormScreen's own on_mount runs after this one (Textual calls each class's handler) and focuses the
        # first field; moving, the free times are what the nurse came for, so they take the focus after it.
        if self.moving_id is not None:
            self.call_after_refresh(self.set_focus, self.input_for(FREE_FIELD))
        self.refresh_free_times()

    def refresh_free_times(self) -> None:
        form: dict[str, Any] = self.values()
        form["start_time"] = self.near
        self.free_times_loaded = False
        self.run_use_case(
            partial(free_times_for_form, clinic_id=self.clinic_id, form=form, moving_id=self.moving_id),
            self._show_free_times,
            failed="Could not work out the free times",
            group="free-times",
            exclusive=True,
        )

    def _show_free_times(self, times: FreeTimes | None) -> None:
        self.free_times = times
        select = self.query_one(f"#field-{FREE_FIELD}", Select)
        with select.prevent(Select.Changed):
            select.set_options(free_times_options(times))
            select.mutate_reactive(Select.value)  # the first line is new even when its value ('') is not
        self.free_times_loaded = True

    @on(Select.Changed)
    def _choice_changed(self, event: Select.Changed) -> None:
        name = (event.select.id or "").removeprefix("field-")
        if name == FREE_FIELD:
            if event.value not in (Select.BLANK, ""):
                self.query_one("#field-start_time", Input).value = str(event.value)
                self.query_one("#error-start_time").remove_class("-shown")  # a refusal of the time typed before
        elif name in WATCHED:
            self.refresh_free_times()

    @on(Input.Changed, "#field-minutes")
    def _minutes_changed(self) -> None:
        self.refresh_free_times()
