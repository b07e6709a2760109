"""Staffing of one clinic: who attends each day, their hours and their room (from the venue's catalogue).

``StaffingScreen(clinic_id, day_number=1, discipline=None)`` shows one day at a time ([ and ] change day) as a table
of professional, discipline, hours and room, and under it the disciplines the invited families need that nobody
covers that day. Keys only:

- **a** adds a professional to the day: a picker (current professionals not on that day yet), then their hours
  (the clinic's whole day to start with) and a room of the venue;
- **e** (or Enter) changes the highlighted professional's hours or room; **d** removes them from the day after a
  confirmation;
- **c** copies the previous clinic's staffing in one key (day 1 to day 1; when this clinic already has some, it
  asks first: rows already here are kept). What was copied, kept and skipped is shown under the table;
- **Esc** goes back.

It opens with ``s`` from the clinic list and from one clinic, and from the timetable build when the solver said
"no endocrinology professional is in clinic" (``discipline``: it opens on the first day nobody covers it). Every
change is a use case of ``services.clinics.staffing`` (audited; a change on a stale read is refused).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from coordinator_tui.clinic_time import format_date
from coordinator_tui.services.clinics.staffing import (
    NO_ROOM,
    StaffDay,
    StaffingCopy,
    StaffingPlan,
    StaffingSaved,
    StaffRow,
    copy_previous,
    day_label,
    load_staffing,
    remove_row,
    save_new_staff_day,
    save_staff_day,
    staff_form_values,
    staffing_candidates,
)
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.data_table import DataTable
from coordinator_tui.ui.widgets.forms import FormField, FormScreen
from coordinator_tui.ui.widgets.picker import PickerScreen
from coordinator_tui.ui.widgets.tables import RecordTable

if TYPE_CHECKING:
    from coordinator_tui.db import Database


class StaffingTable(RecordTable):
    """One day's professionals; Enter changes the highlighted one's hours or room."""

    HELP_TITLE = "Staffing of the day"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.edit", "Edit", key_display="Enter", show=False),
    ]


def staff_fields(values: dict[str, str], plan: StaffingPlan) -> list[FormField]:
    clinic = plan.clinic
    hours = f"{clinic.day_start:%H:%M}–{clinic.day_end:%H:%M}"
    rooms = [("— no room —", NO_ROOM), *((choice.label, str(choice.room_id)) for choice in plan.rooms)]
    return [
        FormField(
            "start_time", "Start (HH:MM)", values["start_time"], required=True, placeholder=f"within {hours}",
            max_length=limits.TIME,
        ),
        FormField(
            "end_time", "End (HH:MM)", values["end_time"], required=True, placeholder=f"within {hours}",
            max_length=limits.TIME,
        ),
        FormField("room", "Room", values["room"], kind="choice", choices=rooms),
    ]  # fmt: skip


def uncovered_text(day: StaffDay, plan: StaffingPlan) -> Text:
    """The disciplines the invited families need that nobody covers that day (symbol and words, never colour)."""
    if not plan.families:
        return Text("No families invited yet: nothing to check the staffing against.")
    if not day.uncovered:
        who = "invited family needs" if plan.families == 1 else f"{plan.families} invited families need"
        return Text(f"✓ Every discipline the {who} is covered on day {day.number}.")
    text = Text()
    text.append(f"⚠ Nobody in on day {day.number} for: ", style="bold")
    text.append(day.uncovered_text())
    text.append(" (needed by invited families)")
    return text


def copy_text(result: StaffingCopy) -> Text:
    lines = result.lines()
    shown = lines[:6]
    if len(lines) > len(shown):
        shown.append(f"  … and {len(lines) - len(shown)} more (coordinator-tui staffing list shows the result)")
    return Text("\n".join(shown))


class StaffingScreen(CoordinatorScreen):
    """One clinic's staffing, a day at a time."""

    screen_title = "Clinic staffing"
    CSS_PATH = "clinic_staffing.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="Esc"),
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("d", "remove", "Remove"),
        Binding("c", "copy", "Copy previous", tooltip="Copy the previous clinic's staffing, day 1 to day 1"),
        Binding("left_square_bracket", "change_day(-1)", "Previous day", key_display="[", show=False),
        Binding("right_square_bracket", "change_day(1)", "Next day", key_display="]", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, clinic_id: int, *, day_number: int = 1, discipline: str | None = None) -> None:
        super().__init__()
        self.clinic_id = clinic_id
        self.day_number = day_number
        self.discipline = discipline  # open on the first day nobody covers it
        self.plan: StaffingPlan | None = None
        self.changed = False  # something was saved (the timetable build asks to build again)
        self.loaded = False
        self._select: int | None = None  # professional to highlight after a reload
        self._picked: dict[str, str] = {}  # picker key -> label, from the latest search

    def compose_body(self) -> ComposeResult:
        yield Static("Loading the clinic…", id="staffing-title", classes="pane-title")
        yield Static("", id="staffing-day")
        yield StaffingTable(id="staffing-table")
        yield Static("", id="staffing-empty")
        yield Static("", id="staffing-uncovered")
        yield Static("", id="staffing-result")

    def on_mount(self) -> None:
        table = self.query_one(StaffingTable)
        width = self.app.size.width
        name, discipline, hours = max(20, min(30, width - 60)), 14 if width < 100 else 18, 11
        room = max(20, width - name - discipline - hours - 10)
        for title, w in (("Professional", name), ("Discipline", discipline), ("Hours", hours), ("Room", room)):
            table.add_column(title, key=title.lower(), width=w)
        self.load()

    # -- loading ------------------------------------------------------------------------------------------

    def load(self) -> None:
        self.run_use_case(
            partial(load_staffing, clinic_id=self.clinic_id),
            self.show_plan,
            failed="Could not load the staffing",
            group="staffing",
            exclusive=True,
        )

    def action_reload(self) -> None:
        self.load()

    def show_plan(self, plan: StaffingPlan) -> None:
        self.plan = plan
        if self.discipline is not None:
            self.day_number = plan.day_number_of(self.discipline) or self.day_number
            self.discipline = None
        self.day_number = max(1, min(self.day_number, len(plan.days)))
        clinic = plan.clinic
        dates = f"{format_date(clinic.start_date)}–{format_date(clinic.end_date)}"
        self.query_one("#staffing-title", Static).update(
            Text(
                f"Staffing · {clinic.name} · {dates} · {clinic.venue or 'venue to be set'} · "
                f"day {clinic.day_start:%H:%M}–{clinic.day_end:%H:%M}",
                no_wrap=True,
                overflow="ellipsis",
            )
        )
        self.show_day()
        self.loaded = True

    @property
    def day(self) -> StaffDay | None:
        return self.plan.days[self.day_number - 1] if self.plan is not None and self.plan.days else None

    def show_day(self) -> None:
        plan, day = self.plan, self.day
        if plan is None or day is None:
            return
        count = len(day.rows)
        self.query_one("#staffing-day", Static).update(
            Text(
                f"{day.label} (day {day.number} of {len(plan.days)}) · {count} professional{'s' if count != 1 else ''}"
                " · [ ] day",
                no_wrap=True,
                overflow="ellipsis",
            )
        )
        table = self.query_one(StaffingTable)
        keep = str(self._select) if self._select is not None else table.selected_key
        self._select = None
        table.clear()
        for row in day.rows:
            name = f"{row.name} (archived)" if row.archived else row.name
            table.add_row(name, row.discipline, row.hours, row.room, key=str(row.professional_id))
        if keep:
            table.move_to_key(keep)
        table.display = bool(day.rows)
        empty = self.query_one("#staffing-empty", Static)
        empty.display = not day.rows
        empty.update(self._empty_text(day, plan))
        self.query_one("#staffing-uncovered", Static).update(uncovered_text(day, plan))
        if day.rows:
            table.focus()
        self.refresh_bindings()

    def _empty_text(self, day: StaffDay, plan: StaffingPlan) -> str:
        if plan.previous is not None and not plan.rows:
            return (
                f"Nobody is in clinic on day {day.number} yet. Press c to copy the staffing of "
                f"{plan.previous.name} (day 1 to day 1), or a to add a professional."
            )
        return f"Nobody is in clinic on day {day.number} yet. Press a to add a professional."

    def selected_row(self, *, warn: bool = True) -> StaffRow | None:
        day = self.day
        key = self.query_one(StaffingTable).selected_key
        row = next((r for r in day.rows if str(r.professional_id) == key), None) if day else None
        if row is None and warn:
            self.notify("Nobody to change on this day: press a to add a professional.", severity="warning")
        return row

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot act now are dimmed: edit and remove with nobody on the day, a day past either end."""
        if action in {"edit", "remove"}:
            return True if self.selected_row(warn=False) is not None else None
        if action == "change_day" and parameters and self.plan is not None:
            number = self.day_number + int(parameters[0])  # type: ignore[call-overload]
            return True if 1 <= number <= len(self.plan.days) else None
        return True

    @on(DataTable.RowHighlighted, "#staffing-table")
    def _highlighted(self) -> None:
        self.refresh_bindings()

    # -- keys ---------------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_change_day(self, step: int) -> None:
        if self.plan is None:
            return
        number = max(1, min(len(self.plan.days), self.day_number + step))
        if number != self.day_number:
            self.day_number = number
            self.show_day()

    def action_add(self) -> None:
        plan, day = self.plan, self.day
        if plan is None or day is None:
            return
        clinic_id, date = self.clinic_id, day.day

        def search(database: Database, text: str) -> list[tuple[str, str]]:
            found = staffing_candidates(database, clinic_id, date, text)
            self._picked = dict(found)
            return found

        picker = PickerScreen(
            f"Add to {day_label(plan.clinic, date)}: choose a professional (those in already are left out)",
            search,
            none_at_all="No one to add: everyone current is in clinic that day, or the directory is empty. Add "
            "professionals on the Professionals screen (3, then a).",
        )
        self.app.push_screen(picker, self._add_form)

    def _add_form(self, key: str | None) -> None:
        plan, day = self.plan, self.day
        if key is None or plan is None or day is None:
            return
        clinic_id, professional_id, date = self.clinic_id, int(key), day.day

        def save(database: Database, form: dict[str, Any]) -> StaffingSaved:
            return save_new_staff_day(database, clinic_id, professional_id, date, form)

        label = self._picked.get(key, "the professional")
        form = FormScreen(
            f"Add {label.split(' — ')[0]} to {day_label(plan.clinic, date)}",
            staff_fields(staff_form_values(None, plan.clinic), plan),
            save,
            description=f"Adding: {label}. Hours within the clinic's day; a room of its venue.",
            save_label="Add",
        )
        self._select = professional_id
        self.app.push_screen(form, self._saved)

    def action_edit(self) -> None:
        plan, row = self.plan, self.selected_row()
        if plan is None or row is None:
            return
        clinic_id = self.clinic_id

        def save(database: Database, form: dict[str, Any]) -> StaffingSaved:
            return save_staff_day(database, clinic_id, row, form)

        form = FormScreen(
            f"{row.name} on {day_label(plan.clinic, row.day)}",
            staff_fields(staff_form_values(row, plan.clinic), plan),
            save,
            description=f"{row.discipline}: change the hours or the room (now {row.hours}, {row.room}).",
        )
        self._select = row.professional_id
        self.app.push_screen(form, self._saved)

    def action_remove(self) -> None:
        plan, row = self.plan, self.selected_row()
        if plan is None or row is None:
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                self.notify("Nobody was removed.")
                return
            self.run_use_case(partial(remove_row, clinic_id=self.clinic_id, row=row), self._saved, failed="Not removed")

        self.app.push_screen(
            ConfirmScreen(
                f"Remove {row.name} from {day_label(plan.clinic, row.day)}?",
                f"{row.discipline}, {row.hours}, {row.room}. Refused while appointments are booked with them that day.",
                yes_label="Remove",
                no_label="Keep",
            ),
            answered,
        )

    def action_copy(self) -> None:
        plan = self.plan
        if plan is None:
            return
        if plan.previous is None:
            self.notify("No earlier clinic has staffing to copy: press a to add professionals.", severity="warning")
            return
        if not plan.rows:
            self._copy()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._copy()

        self.app.push_screen(
            ConfirmScreen(
                f"Copy the staffing of {plan.previous.name}?",
                f"The {plan.rows} staffing row{'s' if plan.rows != 1 else ''} already here stay as they are; only "
                "the professionals missing from a day are added (day 1 to day 1).",
                yes_label="Copy",
                no_label="Don't copy",
            ),
            answered,
        )

    def _copy(self) -> None:
        self.run_use_case(partial(copy_previous, clinic_id=self.clinic_id), self._copied, failed="Not copied")

    def _copied(self, result: StaffingCopy) -> None:
        self.changed = self.changed or bool(result.created)
        self.query_one("#staffing-result", Static).update(copy_text(result))
        self.load()

    def _saved(self, saved: StaffingSaved | None) -> None:
        if saved is None:
            self._select = None
            return
        self.changed = True
        self.notify(saved.text + ".", title="Saved")
        self.query_one("#staffing-result", Static).update("")
        self.load()
