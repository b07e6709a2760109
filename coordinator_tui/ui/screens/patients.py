"""The home screen: the patient list, filtered as you type by name, NHS number or hospital number; ^l saves the
patients listed to a CSV or Excel file (``list_export``)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.message import Message
from textual.widgets import Label, Static

from coordinator_tui.errors import DatabaseError
from coordinator_tui.services.people.patient_summary import PAGE_SIZE
from coordinator_tui.ui.background import RunsUseCases
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.widgets.getting_started import GettingStarted
from coordinator_tui.ui.widgets.row_table import RowTable
from coordinator_tui.ui.widgets.tables import FilterInput
from coordinator_tui.validation import format_nhs_number, format_uk_date

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.export.lists import ListTable
    from coordinator_tui.services.people.patient_forms import SavedPatient
    from coordinator_tui.services.people.patient_summary import PatientSummary
    from coordinator_tui.services.setup_progress import SetupProgress

# The home screen is the first thing on screen: the database stack (SQLModel, the services) is imported by the
# loading worker, off the UI thread, not when this module loads.

# A filter keystroke's rows normally land within about 15 ms. A screen is not repainted while it handles a message,
# so the screen waits that long for them, and the typed letter and its rows are painted in one frame. Otherwise the
# letter is painted at once and the rows must wait for Textual's next frame, 17 to 33 ms later (60 frames a second
# at most). A slower search paints the letter after this wait, and its rows when they land.
KEYSTROKE_FRAME_WAIT = 0.04  # seconds

WIDE = 100  # from this width on, the table shows the hospital number too
CLINIC_NAMES = 150  # and from this one, the next clinic's name


def named_worker_text(summary: PatientSummary) -> str:
    return "⚠ none named" if summary.named_worker is None else summary.named_worker


def summary_row(summary: PatientSummary, width: int) -> tuple[str, ...]:
    next_clinic = format_uk_date(summary.next_clinic_date) if summary.next_clinic_date else "—"
    row = [f"{summary.family_name}, {summary.given_name}", format_nhs_number(summary.nhs_number)]
    if width >= WIDE:
        row.append(summary.hospital_number)
    row += [str(summary.age), next_clinic]
    if width >= CLINIC_NAMES:
        row.append(summary.next_clinic_name)
    row += [named_worker_text(summary), str(summary.open_transition_items)]
    return tuple(row)


def columns(width: int) -> list[tuple[str, int]]:
    """Column titles and widths for a terminal ``width`` wide: names get what the fixed columns leave."""
    fixed: list[tuple[str, int]] = [("NHS number", 12), ("Age", 3), ("Next clinic", 11)]
    if width >= WIDE:
        fixed.append(("Hospital no.", 12))
    if width >= CLINIC_NAMES:
        fixed.append(("Clinic", 28))
    fixed.append(("Open items" if width >= WIDE else "Open", 10 if width >= WIDE else 4))
    padding = 2 * (len(fixed) + 2)
    free = max(34, width - sum(w for _t, w in fixed) - padding - 4)
    name_width = min(40, free * 11 // 20)
    worker_width = min(36, free - name_width)
    sizes = {**dict(fixed), "Name": name_width, "Named worker": worker_width}
    order = ["Name", "NHS number", "Hospital no.", "Age", "Next clinic", "Clinic", "Named worker", "Open items", "Open"]
    return [(title, sizes[title]) for title in order if title in sizes]


@dataclass(frozen=True)
class SearchFailed:
    """A search of the patient list that failed, and what to tell the user."""

    message: str


class PatientTable(RowTable, RunsUseCases):
    """The patient list: a Line API table, so that a filter keystroke redraws it in a few milliseconds.

    The table runs the list's searches: their rows reach it while its screen holds a keystroke's frame for them
    (a screen handles one message at a time, so they could not reach the screen then)."""

    HELP_TITLE = "Patient list"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open patient", key_display="Enter")]


class PatientFilter(FilterInput):
    """The patient filter box. It talks to its screen directly, in the order the keys were typed:

    - each change is sent as ``Typed``, queued ahead of the box's own repaint, so the screen can hold the letter's
      frame until its rows are there (``KEYSTROKE_FRAME_WAIT``); ``Input.Changed`` would get there only after that
      repaint, having bubbled up;
    - Enter is sent as ``Open`` with the text it was pressed on. Textual would run Enter's binding only after the
      key had bubbled up to the app, after letters typed behind it had already gone into the box.

    Keys typed after Enter are held until the screen has opened the patient (or found none), then replayed to the
    app (``replay_held_keys``): "smith", Enter, "v" opens the record on its clinic visits.
    """

    class Typed(Message):
        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    class Open(Message):
        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    _held_keys: list[events.Key] | None = None  # typed after Enter, while the patient is being opened

    def watch_value(self, value: str) -> None:
        if self.is_mounted:
            self.screen.post_message(self.Typed(value))

    async def _on_key(self, event: events.Key) -> None:
        # Runs before Input's own key handler (Textual calls each class's handler along the MRO until one calls
        # prevent_default), so a key taken here never reaches Input.
        if self._held_keys is None and event.key != "enter":
            return
        event.stop()
        event.prevent_default()
        if self._held_keys is not None:
            self._held_keys.append(event)
        else:
            await self.action_submit()

    async def action_submit(self) -> None:  # Enter, or its key in the footer clicked
        if self._held_keys is None:
            self._held_keys = []
            self.screen.post_message(self.Open(self.value))

    def replay_held_keys(self) -> None:
        """Send the keys typed since Enter to the app, as if typed now (to the record, if it opened)."""
        held, self._held_keys = self._held_keys or [], None
        for key in held:
            self.app.post_message(events.Key(key.key, key.character))


NEW_PATIENT_KEY = "^n"  # ctrl+n: works while the filter box has the focus (n is typed into it)


def empty_list_text(filter_text: str) -> str:
    """What the patient list says when it shows no one."""
    if filter_text.strip():
        return (
            f"No patient matches “{' '.join(filter_text.split())[:60]}”. "
            f"Esc clears the filter; {NEW_PATIENT_KEY} adds a new patient."
        )
    return f"No patients yet: press {NEW_PATIENT_KEY} (ctrl+n) to add the first one."


class PatientsScreen(CoordinatorScreen):
    """Type to filter; ↓ or Enter to pick; ctrl+n (or n from the list) for a new patient."""

    screen_title = "Patients"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "new_patient", "New patient", key_display=NEW_PATIENT_KEY),
        Binding("n", "new_patient", "New patient", show=False),
        Binding("slash", "focus_filter", "Find", key_display="/"),
        Binding("ctrl+r", "reload", "Reload", show=False),
        # The list as shown (its filter, its first page) to a CSV or Excel file (a dialog asks where).
        Binding("ctrl+l", "save_list", "Save list to a file", show=False, key_display="^l"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PatientSummary] = []
        self.filter_text = ""
        self._columns_for = 0
        self._select_after_load: int | None = None
        self._rows_landed = asyncio.Event()
        self.shown_text: str | None = None  # the filter text that the rows on screen are for
        self._open_when_shown: str | None = None  # Enter was pressed on this text before its rows were shown
        self._failed_text: str | None = None  # the search for this text failed (and said so)
        self._left = False  # another screen was shown over this one since it was first shown

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="filter-row"):
            yield Label("Find")
            yield PatientFilter(placeholder="name, NHS number or hospital number", id="patient-filter")
            yield Static("", id="patient-count", classes="filter-count")
        yield PatientTable(id="patients-table")
        yield Static("", id="patients-empty", classes="hint")
        yield GettingStarted(id="getting-started")

    def on_mount(self) -> None:
        self.query_one("#patients-empty", Static).display = False
        self._set_columns()
        self.load_setup_progress()
        first_page = self.coordinator.take_first_page()
        if first_page is None:
            self.load("")
        else:  # read at start-up, before the database stack loaded: the first frame shows patients
            self.show_rows("", first_page)

    # ---------------------------------------------------------------------------------------------------------
    # Loading (off the UI thread)
    # ---------------------------------------------------------------------------------------------------------

    def load(self, text: str) -> None:
        """Search for ``text`` off the UI thread; a newer search cancels this one. A failed search is reported, a bug
        too (without its details, which may hold what was typed), and the app stays up."""

        def search(database: Database) -> list[PatientSummary] | SearchFailed:
            from coordinator_tui.services.people.patients import patient_page

            try:
                return patient_page(database, text)
            except DatabaseError as exc:
                return SearchFailed(str(exc))
            except Exception:
                return SearchFailed("unexpected error while searching; please report it")

        def done(result: list[PatientSummary] | SearchFailed) -> None:
            if isinstance(result, SearchFailed):
                self._load_failed(text, result.message)
            else:
                self.show_rows(text, result)

        table = self.query_one("#patients-table", PatientTable)
        table.run_use_case(search, done, group="patients-load", exclusive=True)

    def _load_failed(self, text: str, message: str) -> None:
        if text != self.filter_text:
            return  # an older search
        self.notify(message, title="Could not load patients", severity="error")
        self._failed_text = text
        if self._open_when_shown == text:  # Enter waits for rows that will not come: give the keys back
            self._open_when_shown = None
            self.query_one(PatientFilter).replay_held_keys()

    def show_rows(self, text: str, rows: list[PatientSummary]) -> None:
        if text != self.filter_text:
            return  # an older filter finished late
        self._rows_landed.set()
        self.rows = rows
        self.shown_text = text
        self._draw_rows()
        if self._open_when_shown == text:
            self._open_when_shown = None
            self._open_first_shown()

    def _draw_rows(self) -> None:
        rows = self.rows
        table = self.query_one("#patients-table", PatientTable)
        keep = self._select_after_load
        self._select_after_load = None
        table.set_rows(
            ((str(summary.patient_id), summary_row(summary, self._columns_for)) for summary in rows),
            keep=str(keep) if keep is not None else None,
        )
        table.display = bool(rows)
        empty = self.query_one("#patients-empty", Static)
        empty.display = not rows
        empty.update(empty_list_text(self.shown_text or ""))
        count = len(rows)
        shown = f"first {count}" if count >= PAGE_SIZE else f"{count}"
        noun = "patient" if count == 1 else "patients"
        all_patients = " (all)" if not self.shown_text else ""
        self.query_one("#patient-count", Static).update(f"{shown} {noun}{all_patients}")

    def _set_columns(self) -> None:
        self._columns_for = self.size.width
        self.query_one("#patients-table", PatientTable).set_columns(columns(self.size.width))

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._columns_for:
            self._set_columns()
            self._draw_rows()

    # ---------------------------------------------------------------------------------------------------------
    # Events and actions
    # ---------------------------------------------------------------------------------------------------------

    async def on_patient_filter_typed(self, event: PatientFilter.Typed) -> None:
        self.filter_text = event.value
        self._failed_text = None
        keeping_up = self._rows_landed.is_set()  # the last change's rows are on screen: searches are quick
        self._rows_landed = asyncio.Event()
        self.load(event.value)
        if keeping_up:
            # Hold this screen's next frame for the rows (the event loop, the keyboard and the worker carry on).
            # When keys come faster than rows, or a search is slow, the letters are painted without waiting.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._rows_landed.wait(), KEYSTROKE_FRAME_WAIT)

    def on_patient_filter_open(self, event: PatientFilter.Open) -> None:
        if event.value == self.shown_text:
            self._open_first_shown()
        elif event.value == self._failed_text:  # its rows will not come (the failure is on screen already)
            self.query_one(PatientFilter).replay_held_keys()
        else:  # its rows are still being read: open the patient when they are shown, not one of the old rows
            self._open_when_shown = event.value

    @on(PatientTable.RowSelected, "#patients-table")
    def _row_selected(self, event: PatientTable.RowSelected) -> None:
        event.stop()
        self.open_patient(int(event.key))

    def _open_first_shown(self) -> None:
        """Enter in the filter: open the highlighted patient of the rows shown for the text typed."""
        key = self.query_one("#patients-table", PatientTable).selected_key
        if key is None:
            self.notify("No patient matches the filter.", severity="warning")
        else:
            self.open_patient(int(key))
        self.query_one(PatientFilter).replay_held_keys()

    def open_patient(self, patient_id: int) -> None:
        from coordinator_tui.ui.screens.patient_record import PatientRecordScreen

        self.app.push_screen(PatientRecordScreen(patient_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Find is hidden while the filter box already has the focus (keeps the footer to what matters now).
        return not (action == "focus_filter" and isinstance(self.focused, FilterInput))

    def action_focus_filter(self) -> None:
        self.query_one("#patient-filter", FilterInput).focus()

    def action_reload(self) -> None:
        self.load(self.filter_text)
        self.load_setup_progress()

    def action_save_list(self) -> None:
        """Save the patients listed, for the filter shown, to a file (``services.list_exports.patients_table``)."""
        from coordinator_tui.ui.screens.list_export import save_list

        shown, text, zone = list(self.rows), self.shown_text or "", self.coordinator.zone

        def rows(_database: Database) -> ListTable:
            from coordinator_tui import clock
            from coordinator_tui.services.list_exports import patients_table

            return patients_table(shown, text, clock.today(zone))

        save_list(self, rows, "the patient list")

    def load_setup_progress(self) -> None:
        """Read how far setting up the service has got (off the UI thread), for the Getting started panel."""

        def read(database: Database) -> SetupProgress:
            # Imported here, off the UI thread: the database stack is not loaded before the first frame.
            from coordinator_tui.services.setup_progress import setup_progress

            return setup_progress(database)

        self.run_use_case(
            read,
            self._show_setup_progress,
            failed="Could not read the set-up steps",
            group="setup-progress",
            exclusive=True,
        )

    def _show_setup_progress(self, progress: SetupProgress) -> None:
        self.query_one(GettingStarted).show_progress(progress)

    def action_new_patient(self) -> None:
        from coordinator_tui.services.people.patient_forms import save_new_patient
        from coordinator_tui.ui.screens.patient_forms import patient_fields
        from coordinator_tui.ui.widgets.forms import FormScreen

        form: FormScreen[SavedPatient] = FormScreen(
            "New patient",
            patient_fields(None),
            save_new_patient,
            description="Fields marked * are required. Dates as DD/MM/YYYY.",
        )
        self.app.push_screen(form, self._patient_created)

    def _patient_created(self, saved: SavedPatient | None) -> None:
        if saved is None:
            return
        patient = saved.patient
        self.notify(f"Registered {patient.full_name}.", title="Saved")
        if saved.checklist_note:
            self.notify(saved.checklist_note, title="Checklist not updated", severity="warning", timeout=15)
        self._select_after_load = patient.id
        self.load(self.filter_text)
        self.load_setup_progress()

    def on_screen_suspend(self) -> None:
        self._left = True

    def on_screen_resume(self) -> None:
        # Back from a record or another screen: show what changed meanwhile (not when first shown: its rows are new).
        if self.is_mounted and self._left:
            self.load_setup_progress()  # a step may have been done on another screen
            if self.rows:
                self.load(self.filter_text)
