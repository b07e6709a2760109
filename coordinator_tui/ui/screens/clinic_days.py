"""Clinic days: the upcoming combined clinics, and for one clinic its attendance list, day timetables and clashes.

``ClinicDaysScreen`` (top-level, key 2) lists the upcoming clinic events; Enter opens ``ClinicEventScreen``:

- **Attendance**: who comes, their answer, travel and hotel booked or "✗ missing" (the family support worker's
  to-do list) with each status, when and by whom it was recorded; c changes the highlighted family's status (a
  dialog of the changes allowed), v filters by status, m shows only the families with something still to book;
  i opens the clinic's proposed invite list (``clinic_invitations``).
- **Timetable**: one day as a grid (a column per professional, r toggles per room; [ and ] change day) with
  clashes marked "⚠ CLASH" and listed underneath (each naming whose appointments clash); b books, m / Enter
  moves (``appointment_form``: the free start times that fit are offered in a list), x cancels (after
  confirmation), n jumps to the next clash.
- **Family**: one family's appointments over the clinic's days; booking or moving from it stays on it.

Everything is loaded per clinic by one read use case (``clinic_day_views.load_clinic``: a fixed number of
queries, whatever the size of the database); switching day, view or family is computed from what is loaded.
Writes are use cases too (``booking``, ``invitations.save_status``), each followed by a reload.

^l saves the list the tab shows to a CSV or Excel file (``list_export``): who's coming as filtered, with travel and
hotel, or the day's timetable.

T / R open the timetable build (``timetable_build``); once a plan is applied it calls
``ClinicEventScreen.reload()`` to show the new timetable and its clashes. The ``#timetable-actions`` container
beside the day's heading is free for controls of the timetable tab.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static, TabbedContent, TabPane

from coordinator_tui import clock
from coordinator_tui.clinic_time import format_date, to_local
from coordinator_tui.db import Database
from coordinator_tui.models import Appointment, AttendanceStatus, ClinicEvent, ClinicStatus
from coordinator_tui.services.clinics import booking
from coordinator_tui.services.clinics import clinic_day_views as views
from coordinator_tui.services.clinics.appointments import INACTIVE, AppointmentView
from coordinator_tui.services.clinics.clinic_day_views import (
    CLASH_MARK,
    AttendanceRow,
    BookingChoices,
    ClinicLoad,
    ClinicSummary,
    ClinicTimetable,
    GridMode,
)
from coordinator_tui.services.clinics.invitations import allowed_statuses, save_status, status_text
from coordinator_tui.services.itineraries.families_to_tell import FamilyToTell, clinic_families_to_tell
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.field_limits import column_field
from coordinator_tui.ui.screens.appointment_form import AppointmentFormScreen, free_time_field
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.widgets.clinic_attendance import AttendanceTable, StatusDialog
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.data_table import DataTable
from coordinator_tui.ui.widgets.families_to_tell import FamiliesToTell, FamiliesToTellTable
from coordinator_tui.ui.widgets.forms import FormField
from coordinator_tui.ui.widgets.timetable import ClashPanel, FamilyTimetable, TimetableGrid, mode_label

STATUS_TEXT = {"planned": "planned", "confirmed": "✓ confirmed", "cancelled": "✗ cancelled"}


CLINICS_HINT = "Enter opens a clinic: who's coming, each day's timetable, clashes."
NO_CLINICS = (
    "No clinics are planned yet. Press a to add the first clinic, or p to plan a year of clinics (every N weeks, "
    "bank holidays skipped). Set up the service details, professionals, venues and rooms first (see Getting "
    "started on the Patients screen, 1 / F2). h shows past clinics."
)


class ClinicListTable(DataTable[Text]):
    """The clinic list; Enter opens the highlighted clinic (listed by F1 and in the hint line)."""

    HELP_TITLE = "Clinic list"

    # Not in the footer: whether a focused DataTable subclass shows it there varied from run to run (Textual 8);
    # the hint line under the list says "Enter opens a clinic" instead.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open clinic", key_display="Enter", show=False)
    ]


class ClinicDaysScreen(CoordinatorScreen):
    """The upcoming combined clinic events; Enter opens one."""

    screen_title = "Clinic days"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("a", "new_clinic", "New clinic"),
        Binding("p", "plan_clinics", "Plan year", tooltip="Plan a year of clinics every N weeks, previewed first"),
        Binding("m", "move_clinic", "Move", tooltip="Move the highlighted clinic with everything booked for it"),
        Binding("x", "cancel_clinic", "Cancel", tooltip="Cancel the highlighted clinic (asks first)"),
        Binding("i", "invitations", "Invite"),
        Binding("s", "staffing", "Staffing", tooltip="Who attends each day of the highlighted clinic"),
        Binding("h", "toggle_past", "Past clinics", tooltip="Show or hide clinics whose days are over"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.show_past = False  # h: past clinics too (to record who attended once the days are over)
        self.summaries: list[ClinicSummary] = []
        self.list_loaded = False
        self.select_after_load: int | None = None  # a clinic just created or moved: highlighted once listed

    def compose_body(self) -> ComposeResult:
        yield Static("Upcoming combined clinics", classes="pane-title", id="clinics-title")
        yield ClinicListTable(id="clinics-table", cursor_type="row", zebra_stripes=True)
        yield Static(CLINICS_HINT, classes="hint", id="clinics-hint")

    def on_mount(self) -> None:
        table = self.query_one("#clinics-table", DataTable)
        for label in ("Clinic", "Dates", "Invited", "Confirmed", "Not coming", "No reply", "Status", "Venue"):
            table.add_column(label, key=label.lower().replace(" ", "_"))
        table.loading = True
        self.load_summaries()

    def load_summaries(self) -> None:
        self.run_use_case(
            partial(views.clinic_list, include_past=self.show_past),
            self._show_summaries,
            failed="Could not load the clinics",
            on_error=self._load_failed,
            group="clinic-list",
            exclusive=True,
        )

    def _load_failed(self, _message: str) -> None:
        self.query_one("#clinics-table", DataTable).loading = False

    def _show_summaries(self, summaries: list[ClinicSummary]) -> None:
        highlighted = self.selected_summary()
        keep = self.select_after_load or (highlighted.clinic.id if highlighted else None)
        self.select_after_load = None
        self.summaries = summaries
        self.list_loaded = True
        table = self.query_one("#clinics-table", DataTable)
        table.loading = False
        table.focus()  # a loading table cannot take the focus at mount: give it now, so Enter opens a clinic
        table.clear()
        for summary in summaries:
            clinic = summary.clinic
            table.add_row(
                Text(clinic.name),
                Text(summary.dates_text),
                Text(str(summary.invited), justify="right"),
                Text(str(summary.confirmed), justify="right"),
                Text(str(summary.not_coming), justify="right"),  # declined, cancelled or did not attend
                Text(str(summary.awaiting_reply), justify="right"),
                Text(STATUS_TEXT.get(clinic.status.value, clinic.status.value)),
                Text(clinic.venue),
                key=str(clinic.id),
            )
        ids = [summary.clinic.id for summary in summaries]
        if keep in ids:  # the same clinic stays highlighted after a reload (x and m act on what is seen)
            table.move_cursor(row=ids.index(keep))
        count = len(summaries)
        which = "Combined clinics, past ones too" if self.show_past else "Upcoming combined clinics"
        self.query_one("#clinics-title", Static).update(
            f"{which} ({count}) · h {'hides' if self.show_past else 'shows'} past clinics"
            if count
            else f"{which}: none planned"
        )
        table.display = bool(count)  # no bare headers: the hint says why the list is empty
        self.query_one("#clinics-hint", Static).update(CLINICS_HINT if count else NO_CLINICS)

    def action_reload(self) -> None:
        self.load_summaries()

    def action_toggle_past(self) -> None:
        self.show_past = not self.show_past
        self.load_summaries()

    # -- new, plan, move, cancel (the forms are in ``clinic_forms``) --------------------------------------------

    def action_new_clinic(self) -> None:
        from coordinator_tui.ui.screens.clinic_forms import open_new_clinic

        open_new_clinic(self)

    def action_plan_clinics(self) -> None:
        from coordinator_tui.ui.screens.clinic_forms import open_plan

        open_plan(self)

    def selected_summary(self) -> ClinicSummary | None:
        table = self.query_one("#clinics-table", DataTable)
        if not self.summaries or not table.row_count:
            return None
        return self.summaries[min(table.cursor_row, len(self.summaries) - 1)]

    def _summary_to_change(self, doing: str) -> ClinicSummary | None:
        summary = self.selected_summary()
        if summary is None:
            self.notify(f"No clinic to {doing} yet: a adds one, p plans a year.", severity="warning")
        elif summary.clinic.status is ClinicStatus.CANCELLED:
            self.notify(f"{summary.clinic.name} is cancelled: nothing to {doing}.", severity="warning")
            return None
        return summary

    def action_move_clinic(self) -> None:
        from coordinator_tui.ui.screens.clinic_forms import open_move

        summary = self._summary_to_change("move")
        if summary is not None:
            open_move(self, summary)

    def action_cancel_clinic(self) -> None:
        from coordinator_tui.ui.screens.clinic_forms import ask_cancel

        summary = self._summary_to_change("cancel")
        if summary is not None:
            ask_cancel(self, summary)

    def action_invitations(self) -> None:
        """The highlighted clinic's proposed invite list (``clinic_invitations``); the counts reload after."""
        table = self.query_one("#clinics-table", DataTable)
        if not self.summaries or not table.row_count:
            self.notify("No clinic to invite families to yet.", severity="warning")
            return
        from coordinator_tui.ui.screens.clinic_invitations import ClinicInvitationsScreen

        clinic_id = self.summaries[min(table.cursor_row, len(self.summaries) - 1)].clinic.id
        assert clinic_id is not None
        self.app.push_screen(ClinicInvitationsScreen(clinic_id), lambda _result: self.load_summaries())

    def action_staffing(self) -> None:
        """The highlighted clinic's staffing, day by day (``clinic_staffing``)."""
        table = self.query_one("#clinics-table", DataTable)
        if not self.summaries or not table.row_count:
            self.notify("No clinic to staff yet.", severity="warning")
            return
        from coordinator_tui.ui.screens.clinic_staffing import StaffingScreen

        clinic_id = self.summaries[min(table.cursor_row, len(self.summaries) - 1)].clinic.id
        assert clinic_id is not None
        self.app.push_screen(StaffingScreen(clinic_id), lambda _result: self.load_summaries())

    def action_open_selected(self) -> None:
        table = self.query_one("#clinics-table", DataTable)
        if not self.summaries or not table.row_count:
            return
        self.open_clinic(self.summaries[min(table.cursor_row, len(self.summaries) - 1)].clinic.id)  # type: ignore[arg-type]

    @on(DataTable.RowSelected, "#clinics-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_selected()

    def open_clinic(self, clinic_id: int, tab: str = "timetable") -> None:
        """Open a clinic event (also used by the command palette through ``app.open_clinic``).

        The clinic is loaded in a worker first and the screen opens with it, drawn once.
        """
        for index, summary in enumerate(self.summaries):
            if summary.clinic.id == clinic_id:
                self.query_one("#clinics-table", DataTable).move_cursor(row=index)
        self._load_and_open(clinic_id, tab)

    def _load_and_open(self, clinic_id: int, tab: str) -> None:
        self.run_use_case(
            partial(views.load_clinic, clinic_id=clinic_id),
            lambda load: self.app.push_screen(ClinicEventScreen(clinic_id, tab=tab, preloaded=load)),
            failed="Could not open the clinic",
            group="clinic-open",
            exclusive=True,
        )


class ClinicEventScreen(CoordinatorScreen):
    """One combined clinic: attendance, day timetables with clashes, and one family's days."""

    screen_title = "Clinic days"

    CSS_PATH = "clinic_days.tcss"

    #: Which keys are live (True), dimmed (None) or hidden (False), by action (``change_day(step)`` per step).
    live_keys: reactive[dict[str, bool | None]] = reactive(dict, bindings=True)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Clinics", key_display="Esc"),
        # The tab labels show these keys, so the footer keeps its room for the actions.
        Binding("w", "show_tab('attendance')", "Who's coming", show=False),
        Binding("t", "show_tab('timetable')", "Timetable", show=False),
        Binding("f", "show_tab('family')", "Family", show=False),
        Binding("l", "show_tab('tell')", "To tell", show=False),
        # Invitations (a screen of its own), a family's status (a dialog), the who's-coming filter by status.
        Binding("i", "invitations", "Invite", show=False),
        Binding("s", "staffing", "Staffing", show=False),
        Binding("c", "change_status", "Status", show=False),
        Binding("v", "filter_status", "Filter by status", show=False),
        Binding("b", "book", "Book"),
        Binding("m", "move", "Move"),
        Binding("x", "cancel_appointment", "Cancel appt"),
        Binding("n", "next_clash", "Next clash"),
        # Itineraries to files (a modal with a preview and the folder; E: every family, with progress).
        Binding("e", "export_family", "Export", tooltip="Export this family's itinerary"),
        Binding("E", "export_all", "Export every family", key_display="E", show=False),
        # Who's coming (as filtered, with travel and hotel) or the day's timetable to a CSV or Excel file.
        Binding("ctrl+l", "save_list", "Save list to a file", show=False, key_display="^l"),
        # The line above the grid names these keys (the footer of an 80-column terminal has no room for them).
        Binding("r", "toggle_mode", "Per room / per professional", show=False),
        Binding("left_square_bracket", "change_day(-1)", "Previous day", key_display="[", show=False),
        Binding("right_square_bracket", "change_day(1)", "Next day", key_display="]", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
        # Build or repair this clinic's timetable (a review screen; the clinic reloads once applied).
        Binding("T", "build_timetable(False)", "Build timetable", key_display="T", show=False),
        Binding("R", "build_timetable(True)", "Repair timetable", key_display="R", show=False),
    ]

    def action_build_timetable(self, repair: bool) -> None:
        from coordinator_tui.ui.screens.timetable_build import open_timetable_build

        open_timetable_build(self, self.clinic_id, repair=repair)

    def __init__(self, clinic_id: int, *, tab: str = "timetable", preloaded: ClinicLoad | None = None) -> None:
        super().__init__()
        self.clinic_id = clinic_id
        self._preloaded = preloaded
        self.initial_tab = tab
        self.timetable: ClinicTimetable | None = None
        self.attendances: list[AttendanceRow] = []
        self.choices: BookingChoices | None = None
        self.day: dt.date | None = None
        self.mode = GridMode.PROFESSIONAL
        self.family_id: int | None = None
        self._select_after_load: int | None = None
        self._attendance_shown = False  # the list is drawn when its tab is first shown after a load
        self.to_tell: list[FamilyToTell] | None = None  # the families to tell, loaded after the clinic
        self._resumed_before = False
        # Focus the grid (or the list) as the screen first shows, instead of moving it after the first paint.
        self.AUTO_FOCUS = "#timetable-grid" if tab == "timetable" else None
        self.loaded = False  # True once the clinic is on screen (tests and the speed benchmark wait for it)
        self.set_reactive(ClinicEventScreen.live_keys, self._live_keys())

    # -- layout -------------------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static("Loading the clinic…", id="clinic-summary")
        with TabbedContent(initial=self.initial_tab, id="clinic-tabs"):
            with TabPane("Timetable (t)", id="timetable"):
                with Horizontal(id="timetable-bar"):
                    yield Static("", id="timetable-heading")
                    yield Horizontal(id="timetable-actions")
                yield TimetableGrid(id="timetable-grid")
                yield Static("", id="appointment-detail")
                yield Static("Clashes", id="clash-title")
                yield ClashPanel(id="clash-panel")
            # These two fill in when first shown (see _ensure_pane): opening a clinic day draws only the day.
            yield TabPane("Who's coming (w)", id="attendance")
            yield TabPane("Family (f)", id="family")
            yield TabPane("To tell (l)", id="tell")

    async def on_mount(self) -> None:
        if self._preloaded is not None:
            load, self._preloaded = self._preloaded, None
            self._show(load, first=True)
        else:
            self.reload()
        if self.initial_tab != "timetable":
            await self.action_show_tab(self.initial_tab)

    # -- loading ------------------------------------------------------------------------------------------

    def reload(self, select_appointment: int | None = None) -> None:
        """Load the clinic again (after a change here or elsewhere) and redraw every tab."""
        self._select_after_load = select_appointment
        self._load()

    def _load(self) -> None:
        self.run_use_case(
            partial(views.load_clinic, clinic_id=self.clinic_id),
            self._show,
            failed="Could not load the clinic",
            on_error=self._load_failed,
            group="clinic-load",
            exclusive=True,
        )

    def _load_failed(self, message: str) -> None:
        self.query_one("#clinic-summary", Static).update(f"⚠ Could not load this clinic: {message}")

    def _show(self, load: ClinicLoad, *, first: bool = False) -> None:
        self.timetable, self.attendances, self.choices = load.timetable, load.attendances, load.choices
        clinic = load.timetable.clinic
        if self.day is None or self.day not in clinic.dates:
            self.day = clinic.dates[0]
        if self.family_id is None and self.attendances:
            self.family_id = self.attendances[0].patient_id
        self._show_summary()
        self._attendance_shown = False
        self._show_visible_attendance()
        self._show_day()
        self._show_family()
        self._load_to_tell()
        self.loaded = True
        if self._select_after_load is not None:
            self._select_saved(self._select_after_load)
            self._select_after_load = None
        if first:  # the footer is composed after this, with these keys: no need to rebuild it
            self.set_reactive(ClinicEventScreen.live_keys, self._live_keys())
        else:
            self._update_keys()

    def _show_summary(self) -> None:
        assert self.timetable is not None
        clinic = self.timetable.clinic
        invited = len(self.attendances)
        coming = (AttendanceStatus.CONFIRMED, AttendanceStatus.ATTENDED)
        confirmed = sum(1 for row in self.attendances if row.status in coming)
        clashes = len(self.timetable.clashes)
        clash_text = f" · {CLASH_MARK}: {clashes}" if clashes else " · no clashes"
        # Early in the line, so a narrow terminal does not cut it off: families whose calendar is now wrong.
        tell = f"⚠ {len(self.to_tell)} to tell (l) · " if self.to_tell else ""
        self.query_one("#clinic-summary", Static).update(
            Text(
                f"{clinic.name} · {views.clinic_dates_text(clinic)} · {tell}"
                f"{STATUS_TEXT.get(clinic.status.value, clinic.status.value)} · "
                f"{invited} invited, {confirmed} confirmed{clash_text} · {clinic.venue or 'venue to be set'}",
                no_wrap=True,
                overflow="ellipsis",
            )
        )

    def _show_attendance_hint(self) -> None:
        table = self.query_one(AttendanceTable)
        todo = views.attendance_todo_count(self.attendances)
        shown = "only families with something to book" if table.only_missing else "every family invited"
        self.query_one("#attendance-hint", Static).update(
            f"✗ {todo} famil{'y' if todo == 1 else 'ies'} still to book travel or hotel · showing {shown} (m), "
            f"{table.filter_text} (v) · c status · i invite · Enter: family · e / E: export one / every family"
        )

    # -- timetable ----------------------------------------------------------------------------------------

    def _show_day(self) -> None:
        timetable, day = self.timetable, self.day
        if timetable is None or day is None:
            return
        grid = views.build_day_grid(timetable, day, self.mode)
        self.query_one(TimetableGrid).show_grid(grid)
        number = timetable.day_number(day)
        clashes = timetable.clashes_on(day)
        appointments = len(timetable.on_day(day))
        other = "by room" if self.mode is GridMode.PROFESSIONAL else "by professional"
        self.query_one("#timetable-heading", Static).update(
            Text(
                f"Day {number}/{timetable.clinic.days} · {day:%a} {format_date(day)} · {mode_label(self.mode)} · "
                f"r: {other} · [ ]: day · {appointments} appt{'s' if appointments != 1 else ''}",
                no_wrap=True,
                overflow="ellipsis",
            )
        )
        title = f"Clashes on day {number}: " + (f"{len(clashes)} ({CLASH_MARK})" if clashes else "none")
        self.query_one("#clash-title", Static).update(title + " · n jumps to the next")
        self.query_one(ClashPanel).show_clashes(clashes)
        self._show_detail(self.query_one(TimetableGrid).appointment_id)

    def _show_detail(self, appointment_id: int | None) -> None:
        detail = self.query_one("#appointment-detail", Static)
        timetable = self.timetable
        view = timetable.find(appointment_id) if timetable and appointment_id is not None else None
        if view is None or timetable is None:
            grid = self.query_one(TimetableGrid)
            slot = grid.cursor_slot
            detail.update(f"{slot:%H:%M} free · b or Enter books here\n" if slot else "")
            return
        text = describe(view, timetable)
        shared = self.query_one(TimetableGrid).shared_count
        if shared > 1 and self.active_tab == "timetable":
            text.append(f" · {shared} share this cell: o selects the other", style="bold")
        detail.update(text)

    @on(TimetableGrid.AppointmentHighlighted)
    def _grid_highlighted(self, event: TimetableGrid.AppointmentHighlighted) -> None:
        self._show_detail(event.appointment_id)
        self._refresh_selection_keys()

    def _refresh_selection_keys(self) -> None:
        """Move / Cancel follow the selection (the footer is rebuilt only when a key's state changes)."""
        self._update_keys()

    @on(TimetableGrid.Chosen)
    def _grid_chosen(self, event: TimetableGrid.Chosen) -> None:
        event.stop()
        if event.appointment_id is not None:
            self.action_move()
        else:
            self.action_book()

    @on(ClashPanel.ClashChosen)
    def _clash_chosen(self, event: ClashPanel.ClashChosen) -> None:
        self._select_appointment(event.clash.appointment_ids[0])

    def _select_saved(self, appointment_id: int) -> None:
        """After a booking or a move, select it where the nurse is: the family tab stays on the same family (its
        row is selected if it is theirs); elsewhere the grid shows it."""
        if self.active_tab != "family":
            self._select_appointment(appointment_id)
            return
        table = self.query_one(FamilyTimetable)
        if appointment_id in table.row_ids:
            table.move_cursor(row=table.row_ids.index(appointment_id))

    def _select_appointment(self, appointment_id: int) -> None:
        timetable = self.timetable
        view = timetable.find(appointment_id) if timetable else None
        if view is None or timetable is None:
            return
        day = timetable.local_day(view)
        if day != self.day and day in timetable.clinic.dates:
            self.day = day
            self._show_day()
        grid = self.query_one(TimetableGrid)
        if grid.select_appointment(appointment_id):
            self.query_one(TabbedContent).active = "timetable"
            grid.focus()
            self._show_detail(appointment_id)
            # Once the tab is laid out at its real size, bring the cell into view again.
            self.call_after_refresh(grid.select_appointment, appointment_id)

    def action_change_day(self, step: int) -> None:
        timetable, day = self.timetable, self.day
        if timetable is None or day is None:
            return
        dates = timetable.clinic.dates
        index = max(0, min(len(dates) - 1, dates.index(day) + step))
        if dates[index] != day:
            self.day = dates[index]
            self._show_day()
            self._update_keys()

    def action_toggle_mode(self) -> None:
        self.mode = GridMode.ROOM if self.mode is GridMode.PROFESSIONAL else GridMode.PROFESSIONAL
        self._show_day()

    def action_next_clash(self) -> None:
        timetable = self.timetable
        if timetable is None or not timetable.clashes:
            self.notify("No clashes in this clinic.")
            return
        current = self.selected_appointment()
        # Every appointment in a clash, in clinic order (both sides of a double booking, in turn).
        ids = list(dict.fromkeys(i for clash in timetable.clashes for i in clash.appointment_ids))
        position = ids.index(current.appointment.id) + 1 if current and current.appointment.id in ids else 0
        self._select_appointment(ids[position % len(ids)])

    # -- family -------------------------------------------------------------------------------------------

    @on(AttendanceTable.FamilyRequested)
    async def _family_requested(self, event: AttendanceTable.FamilyRequested) -> None:
        await self.open_family(event.row.patient_id)

    async def open_family(self, patient_id: int) -> None:
        """Show one family's days (Enter on the attendance list, or [ and ] in the family tab)."""
        self.family_id = patient_id
        await self.action_show_tab("family")

    def action_step_family(self, step: int) -> None:
        if not self.attendances:
            return
        ids = [row.patient_id for row in self.attendances]
        index = ids.index(self.family_id) if self.family_id in ids else -step
        self.family_id = ids[(index + step) % len(ids)]
        self._show_family()

    def _show_family(self) -> None:
        timetable = self.timetable
        if timetable is None or self.family_id is None or not self.query(FamilyTimetable):
            return
        row = next((r for r in self.attendances if r.patient_id == self.family_id), None)
        family = views.family_days(timetable, self.family_id, row)
        self.query_one(FamilyTimetable).show_family(family, timetable.clinic.dates, timetable.zone)
        position = ""
        if row is not None:
            number = self.attendances.index(row) + 1
            position = f"Family {number} of {len(self.attendances)} · [ and ] step · "
        summary = Text(position)
        summary.append_text(family_summary(family, timetable))
        self.query_one("#family-detail", Static).update(summary)

    # -- selection ----------------------------------------------------------------------------------------

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active

    def selected_appointment(self) -> AppointmentView | None:
        timetable = self.timetable
        if timetable is None:
            return None
        if self.active_tab == "family":
            appointment_id = self.query_one(FamilyTimetable).appointment_id
        elif self.active_tab == "timetable":
            appointment_id = self.query_one(TimetableGrid).appointment_id
        else:
            return None
        return timetable.find(appointment_id) if appointment_id is not None else None

    def export_family_id(self) -> int | None:
        """The family chosen in the attendance list or shown in the family tab (None elsewhere)."""
        tab = self.active_tab if self.is_mounted else self.initial_tab
        if tab == "attendance":
            tables = self.query(AttendanceTable)
            row = tables.first().current if tables else None
            return row.patient_id if row is not None else None
        if tab == "family":
            return self.family_id
        if tab == "tell":
            tell = self.query(FamiliesToTellTable)
            family = tell.first().current if tell else None
            return family.patient_id if family is not None else None
        return None

    def action_export_family(self) -> None:
        patient_id = self.export_family_id()
        if patient_id is None:
            self.notify("Choose a family first.", severity="warning")
            return
        from coordinator_tui.ui.screens.itinerary_export import ExportScreen

        self.app.push_screen(ExportScreen(self.clinic_id, patient_id))

    def action_export_all(self) -> None:
        from coordinator_tui.ui.screens.itinerary_export import ExportScreen

        self.app.push_screen(ExportScreen(self.clinic_id, None))

    def action_save_list(self) -> None:
        """Save the list the tab shows: who's coming as filtered (m, v), with travel and hotel; or the day's
        timetable (``services.list_exports``)."""
        from coordinator_tui.services import list_exports
        from coordinator_tui.ui.screens.list_export import save_list

        timetable, day, tab = self.timetable, self.day, self.active_tab
        if timetable is None or day is None:
            self.notify("The clinic is still loading: try again in a moment.", severity="warning")
            return
        if tab == "attendance" and self.query(AttendanceTable):
            shown = list(self.query_one(AttendanceTable).shown)
            save_list(self, partial(list_exports.coming_list, clinic_id=self.clinic_id, shown=shown), "who's coming")
        elif tab == "timetable":
            save_list(self, lambda _database: list_exports.timetable_table(timetable, day), "the day's timetable")
        else:
            self.notify("Lists are saved from Who's coming (w) and the Timetable (t).", severity="warning")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Textual's convention: False hides a key (not for this tab), None shows it dimmed (nothing selected)."""
        key = f"{action}({parameters[0]})" if action == "change_day" and parameters else action
        return self.live_keys.get(key, True)

    def _update_keys(self) -> None:
        """Work out again which keys are live; the footer is rebuilt only when one of them changes."""
        self.live_keys = self._live_keys()

    def _live_keys(self) -> dict[str, bool | None]:
        """Each key's state for ``check_action``: the tab shown, the clinic loaded, the day, the selection."""
        return {
            key: self._key_state(action, step)
            for key, action, step in (
                ("toggle_mode", "toggle_mode", None),
                ("change_day(-1)", "change_day", -1),
                ("change_day(1)", "change_day", 1),
                ("next_clash", "next_clash", None),
                ("export_family", "export_family", None),
                ("export_all", "export_all", None),
                ("save_list", "save_list", None),
                ("book", "book", None),
                ("move", "move", None),
                ("cancel_appointment", "cancel_appointment", None),
            )
        }

    def _key_state(self, action: str, step: int | None) -> bool | None:
        tab = self.active_tab if self.is_mounted else self.initial_tab
        if action in {"toggle_mode", "change_day", "next_clash"}:
            if tab != "timetable":
                return False
            timetable = self.timetable
            if timetable is None:
                return None
            if action == "change_day":
                dates = timetable.clinic.dates
                index = dates.index(self.day) + (step or 0) if self.day in dates else -1
                return True if 0 <= index < len(dates) else None
            if action == "next_clash":
                return True if timetable.clashes else None
            return True
        if action == "export_family":
            if tab not in {"attendance", "family", "tell"}:
                return False
            return True if self.export_family_id() is not None else None
        if action == "export_all":
            return True if self.attendances else None
        if action == "save_list":
            if tab not in {"attendance", "timetable"}:
                return False
            return True if self.timetable is not None else None
        if action in {"book", "move", "cancel_appointment"}:
            if tab not in {"timetable", "family"}:
                return False
            if self.timetable is None:
                return None
            if action == "book":
                return True
            view = self.selected_appointment()
            return True if view is not None and view.appointment.status not in INACTIVE else None
        return True

    @on(TabbedContent.TabActivated)
    async def _tab_changed(self) -> None:
        await self._ensure_pane(self.active_tab)
        self._update_keys()

    async def _ensure_pane(self, tab: str) -> None:
        """Mount a tab's widgets the first time it is shown, and draw what it shows."""
        pane = self.query_one(f"TabPane#{tab}", TabPane)
        if tab == "attendance" and not pane.children:
            await pane.mount(Static("", classes="hint", id="attendance-hint"), AttendanceTable(id="attendance-table"))
        elif tab == "family" and not pane.children:
            await pane.mount(Static("", id="family-detail"), FamilyTimetable(id="family-table"))
            self._show_family()
        elif tab == "tell" and not pane.children:
            await pane.mount(FamiliesToTell(id="families-to-tell"))
            self._show_to_tell()
        self._show_visible_attendance()

    def _show_visible_attendance(self) -> None:
        """Draw the attendance list if its tab is showing (a clinic may have thousands of families)."""
        if self.timetable is None or self._attendance_shown or self.active_tab != "attendance":
            return
        if not self.query(AttendanceTable):
            return
        self._attendance_shown = True
        self.query_one(AttendanceTable).show_attendances(self.attendances, self.timetable.zone)
        self._show_attendance_hint()

    @on(DataTable.RowHighlighted, "#family-table")
    def _family_row(self) -> None:
        self._refresh_selection_keys()

    async def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        await self._ensure_pane(tab)
        if tab == "family":
            self._show_family()
        target = {
            "attendance": AttendanceTable,
            "timetable": TimetableGrid,
            "family": FamilyTimetable,
            "tell": FamiliesToTellTable,
        }[tab]
        self.query_one(target).focus()

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self.reload()

    # -- families to tell ---------------------------------------------------------------------------------

    def _load_to_tell(self) -> None:
        """The families whose itinerary no longer matches the clinic (after every load, and on coming back here)."""
        self.run_use_case(
            partial(clinic_families_to_tell, clinic_id=self.clinic_id),
            self._to_tell_loaded,
            failed="Could not work out the families to tell",
            group="clinic-to-tell",
            exclusive=True,
        )

    def _to_tell_loaded(self, families: list[FamilyToTell]) -> None:
        self.to_tell = families
        if self.timetable is not None:
            self._show_summary()
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("tell").label = f"To tell: {len(families)} (l)" if families else "To tell (l)"
        self._show_to_tell()
        self._update_keys()

    def _show_to_tell(self) -> None:
        if self.to_tell is not None:
            for panel in self.query(FamiliesToTell):
                panel.show_families(self.to_tell)

    def on_screen_resume(self) -> None:
        """Back from an export (or any other screen): the list may have changed."""
        if self._resumed_before and self.loaded:
            self._load_to_tell()
        self._resumed_before = True

    @on(FamiliesToTellTable.FamilyRequested)
    async def _tell_family_requested(self, event: FamiliesToTellTable.FamilyRequested) -> None:
        await self.open_family(event.patient_id)

    @on(DataTable.RowHighlighted, "#tell-table")
    def _tell_row(self) -> None:
        self._refresh_selection_keys()

    # -- attendance ---------------------------------------------------------------------------------------

    def action_invitations(self) -> None:
        from coordinator_tui.ui.screens.clinic_invitations import ClinicInvitationsScreen

        self.app.push_screen(ClinicInvitationsScreen(self.clinic_id), lambda _result: self.reload())

    def action_staffing(self) -> None:
        """This clinic's staffing, on the day the timetable shows."""
        from coordinator_tui.ui.screens.clinic_staffing import StaffingScreen

        timetable = self.timetable
        number = (timetable.day_number(self.day) or 1) if timetable is not None and self.day is not None else 1
        self.app.push_screen(StaffingScreen(self.clinic_id, day_number=number), lambda _result: self.reload())

    def status_row(self) -> AttendanceRow | None:
        """The family whose status ``c`` changes: the one highlighted on Who's coming, or shown on Family."""
        patient_id = self.export_family_id()
        return next((r for r in self.attendances if r.patient_id == patient_id), None)

    def action_change_status(self) -> None:
        row, timetable = self.status_row(), self.timetable
        if row is None or timetable is None:
            self.notify("Choose a family on Who's coming (w) first.", severity="warning")
            return
        allowed = allowed_statuses(row.status, timetable.clinic, clock.today(timetable.zone))
        if not allowed:
            self.notify(f"{row.full_name}: no status change is possible now.", severity="warning")
            return
        self.app.push_screen(StatusDialog(row, allowed), partial(self._status_chosen, row))

    def _status_chosen(self, row: AttendanceRow, choice: tuple[AttendanceStatus, str] | None) -> None:
        if choice is None:
            return
        status, by = choice
        save = partial(
            save_status,
            attendance_id=row.attendance_id,
            status=status,
            cancelled_by=by,
            expected_version=row.version,
        )
        self._write(save, f"{row.full_name}: {status_text(status, by)}")

    def action_filter_status(self) -> None:
        tables = self.query(AttendanceTable)
        if self.active_tab != "attendance" or not tables:
            return
        tables.first().cycle_filter()

    @on(AttendanceTable.FilterChanged)
    def _filter_changed(self) -> None:
        self._show_attendance_hint()
        self._update_keys()

    # -- book, move, cancel -------------------------------------------------------------------------------

    def action_book(self) -> None:
        timetable, choices = self.timetable, self.choices
        if timetable is None or choices is None:
            return
        if not choices.patients:
            self.notify("No family is coming to this clinic yet: invite one first.", severity="warning")
            return
        values = self._booking_defaults(timetable, choices)
        fields = booking_fields(timetable, choices, values, include_patient=True)
        clinic_id = self.clinic_id

        def save(database: Database, form: dict[str, Any]) -> int:
            return booking.save_booking(database, clinic_id, booking_values(form), choices)

        self.app.push_screen(
            AppointmentFormScreen(
                "Book an appointment",
                fields,
                save,
                clinic_id=clinic_id,
                description=f"{timetable.clinic.name}. Choose a free start from the list or type one; double "
                "bookings are refused; * marks required fields.",
                save_label="Book",
            ),
            callback=self._saved("Appointment booked"),
        )

    def action_move(self) -> None:
        timetable, choices, view = self.timetable, self.choices, self.selected_appointment()
        if timetable is None or choices is None or view is None:
            return
        values = booking.appointment_form_values(view, timetable.clinic, timetable.zone)
        fields = booking_fields(timetable, choices, values, include_patient=False)
        appointment_id, version = view.appointment.id, view.appointment.version
        assert appointment_id is not None

        def save(database: Database, form: dict[str, Any]) -> int:
            return booking.save_move(
                database, appointment_id, booking_values(form), expected_version=version, choices=choices
            )

        self.app.push_screen(
            AppointmentFormScreen(
                f"Move {view.appointment.discipline} for {view.patient.full_name}",
                fields,
                save,
                clinic_id=self.clinic_id,
                moving_id=appointment_id,
                description="Choose a free start from the list (it fills in Start) or type one; change the day, "
                "length, room or professionals and the list follows. Clashes are checked again on save.",
                save_label="Move",
            ),
            callback=self._saved("Appointment moved"),
        )

    def action_cancel_appointment(self) -> None:
        timetable, view = self.timetable, self.selected_appointment()
        if timetable is None or view is None:
            return
        appointment = view.appointment
        start, end = to_local(appointment.start, timetable.zone), to_local(appointment.end, timetable.zone)
        question = (
            f"Cancel {appointment.discipline} for {view.patient.full_name} on "
            f"{format_date(start.date())} {start:%H:%M}–{end:%H:%M}?"
        )

        def answered(confirmed: bool | None) -> None:
            if not confirmed:
                self.notify("Nothing was cancelled.")
                return

            assert appointment.id is not None
            save = partial(booking.cancel_booking, appointment_id=appointment.id, expected_version=appointment.version)
            self._write(save, "Appointment cancelled")

        self.app.push_screen(
            ConfirmScreen(
                question,
                "It stays in the record as cancelled; the family's calendar shows it cancelled at the next export.",
                yes_label="Cancel appointment",
                no_label="Keep it",
            ),
            callback=answered,
        )

    def _saved(self, message: str) -> Callable[[int | None], None]:
        def done(appointment_id: int | None) -> None:
            if appointment_id is None:
                return
            self.notify(message)
            self.reload(select_appointment=appointment_id)

        return done

    def _write(self, change: Callable[[Database], object], message: str) -> None:
        """Run one change as a use case; reload on success, say why on failure (and reload too)."""

        def done(_result: object) -> None:
            self.notify(message)
            self.reload()

        self.run_use_case(change, done, failed="Not saved", on_error=lambda _text: self.reload(), group="clinic-write")

    def _booking_defaults(self, timetable: ClinicTimetable, choices: BookingChoices) -> dict[str, object]:
        day = self.day or timetable.clinic.dates[0]
        values: dict[str, object] = {"day": str(timetable.day_number(day) or 1), "minutes": "30"}
        professional_id: int | None = None
        start = ""
        if self.active_tab == "timetable":
            grid = self.query_one(TimetableGrid)
            key = grid.cursor_column_key or ""
            if key.startswith("p") and key[1:].isdigit():
                professional_id = int(key[1:])
            elif key.startswith("r") and key[1:].isdigit():
                values["room"] = int(key[1:])
            if grid.appointment_id is None and grid.cursor_slot is not None:
                start = f"{grid.cursor_slot:%H:%M}"
        if self.active_tab == "family" and self.family_id is not None:
            values["patient"] = self.family_id
        if professional_id is not None:
            values["professionals"] = [professional_id]
            values["discipline"] = choices.disciplines.get(professional_id, "")
            staffed = next(
                (s for s, p in timetable.staffing_on(day) if p.id == professional_id and s.room_id is not None), None
            )
            if staffed is not None and "room" not in values:
                values["room"] = staffed.room_id
        values["start_time"] = start or views.first_free_start(timetable, day, professional_id) or "09:00"
        return values


# ------------------------------------------------------------------------------------------------------------
# Helpers (no state): the booking form's fields and what the screen writes in words
# ------------------------------------------------------------------------------------------------------------

NO_CHOICE = ""


def booking_fields(
    timetable: ClinicTimetable, choices: BookingChoices, values: dict[str, object], *, include_patient: bool
) -> list[FormField]:
    """The booking / move form: the same fields, prefilled from ``values`` (see ``appointment_form_values``)."""
    clinic = timetable.clinic
    professionals = [(label, str(pid)) for pid, label in choices.professionals]
    chosen = [str(p) for p in values.get("professionals", []) or []]  # type: ignore[union-attr]
    fields: list[FormField] = []
    if include_patient:
        fields.append(
            FormField(
                "patient",
                "Patient",
                str(values.get("patient", "")),
                kind="choice",
                choices=[(label, str(pid)) for pid, label in choices.patients],
                required=True,
            )
        )
    fields += [
        FormField(
            "professionals",
            "Professional",
            chosen[0] if chosen else "",
            kind="choice",
            choices=[("— choose —", NO_CHOICE), *professionals],
            required=True,
        ),
        FormField(
            "joint_with",
            "Joint with (optional)",
            chosen[1] if len(chosen) > 1 else NO_CHOICE,
            kind="choice",
            choices=[("— nobody —", NO_CHOICE), *professionals],
        ),
        FormField(
            "day",
            "Day",
            str(values.get("day", "1")),
            kind="choice",
            choices=[(f"Day {n} · {d:%a} {format_date(d)}", str(n)) for n, d in enumerate(clinic.dates, start=1)],
            required=True,
        ),
        free_time_field(),
        *(
            FormField(name, label, str(values.get(name, default)), required=True, placeholder=example, max_length=limit)
            for name, label, default, example, limit in (
                ("start_time", "Start (HH:MM)", "", "09:30", limits.TIME),
                ("minutes", "Minutes", "30", "30", limits.WHOLE_NUMBER),
            )
        ),
        FormField(
            "room",
            "Room",
            str(values.get("room") or NO_CHOICE),
            kind="choice",
            choices=[("— no room yet —", NO_CHOICE), *((label, str(rid)) for rid, label in choices.rooms)],
        ),
        column_field(
            Appointment,
            "discipline",
            "Discipline",
            str(values.get("discipline", "")),
            placeholder="blank: the professional's discipline",
        ),
        *(
            column_field(Appointment, name, label, str(values.get(name, "")), kind="multiline")
            for name, label in (
                ("family_instructions", "Family instructions"),
                ("internal_notes", "Internal notes (staff only)"),
            )
        ),
    ]
    return fields


def booking_values(form: dict[str, Any]) -> dict[str, object]:
    """The form's raw values in the shape ``parse_booking_form`` takes (professionals as a list of ids)."""
    values: dict[str, object] = dict(form)
    values["professionals"] = [v for v in (form.get("professionals"), form.get("joint_with")) if v]
    values.pop("joint_with", None)
    return values


def describe(view: AppointmentView, timetable: ClinicTimetable) -> Text:
    """One appointment in words, for the line under the grid (the cell itself is too narrow in 80 columns)."""
    appointment = view.appointment
    start, end = to_local(appointment.start, timetable.zone), to_local(appointment.end, timetable.zone)
    text = Text()
    text.append(f"{start:%H:%M}–{end:%H:%M} {appointment.discipline}", style="bold")
    text.append(f" · {view.patient.full_name} · {view.professional_names or 'no professional'}")
    text.append(f" · {views.room_label(view.room)} · {appointment.status.value}")
    clashes = timetable.clashing_ids().get(appointment.id, [])  # type: ignore[arg-type]
    text.append("\n")
    if clashes:
        kinds = ", ".join(dict.fromkeys(views.clash_label(c.kind).lower() for c in clashes))
        text.append(f"{CLASH_MARK}: {kinds}", style="bold")
        text.append(" (details in the clash list below)")
    else:
        text.append("✓ no clash · m or Enter moves, x cancels")
    return text


def family_summary(family: views.FamilyDays, timetable: ClinicTimetable) -> Text:
    text = Text()
    text.append(family.name, style="bold")
    row = family.attendance
    if row is None:
        text.append(" · not invited to this clinic")
        return text
    text.append(f" · {row.status.value}")
    if row.travel_out_arrive:
        arrive = to_local(row.travel_out_arrive, timetable.zone)
        text.append(f" · arrives {format_date(arrive.date())} {arrive:%H:%M}")
    if row.travel_home_depart:
        leave = to_local(row.travel_home_depart, timetable.zone)
        text.append(f" · leaves {format_date(leave.date())} {leave:%H:%M}")
    if row.missing:
        text.append(f" · ✗ still to book: {', '.join(row.missing)}", style="bold")
    count = sum(1 for v in family.appointments if v.appointment.status not in INACTIVE)
    text.append(f" · {count} appointment{'s' if count != 1 else ''}")
    if family.clashes:
        text.append(f" · {CLASH_MARK}: {len(family.clashes)}", style="bold")
    return text


def clinic_label(clinic: ClinicEvent) -> str:
    return f"{clinic.name} ({views.clinic_dates_text(clinic)})"
