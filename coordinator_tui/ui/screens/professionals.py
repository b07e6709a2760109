"""The professionals directory, filtered as you type; the highlighted one's patients are listed below.

a adds a professional, e edits the highlighted one, d archives them (saying what they are in first), x shows the
archived ones too. The directory has the focus when the screen opens (/ goes to the filter box, where letters are
typed, so these keys are left out of the footer there)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from coordinator_tui.models import Patient, Professional
from coordinator_tui.services.people.professional_directory import (
    add_professional,
    archive,
    directory_page,
    discipline_choices,
    edit_professional,
    find_professional,
    professional_patients,
    what_archiving_touches,
)
from coordinator_tui.services.people.professionals import ArchiveImpact, ArchiveResult
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.screens.professional_forms import (
    ArchiveProfessionalScreen,
    BookingsToMoveScreen,
    ProfessionalFormScreen,
)
from coordinator_tui.ui.widgets.data_table import DataTable
from coordinator_tui.ui.widgets.tables import FilterInput, RecordTable
from coordinator_tui.validation import format_nhs_number

if TYPE_CHECKING:
    from coordinator_tui.db import Database

PAGE_SIZE = 300


#: The directory's columns, most wanted first: (title, least width, most width). Those that do not fit are left out
#: (the highlighted one's role, phone, email and days are shown above their patients too).
COLUMNS = [
    ("Name", 20, 32),
    ("Discipline", 16, 18),
    ("Patients", 8, 8),
    ("Days", 11, 15),
    ("Organisation", 11, 30),
    ("Phone", 13, 13),
    ("Email", 20, 34),
    ("Setting", 7, 7),
]
SHOWN_ORDER = ["Name", "Discipline", "Organisation", "Patients", "Days", "Phone", "Email", "Setting"]


def directory_columns(width: int) -> list[tuple[str, int]]:
    """The columns that fit ``width`` (each cell has a space either side; the scroll bar takes two), in the order
    shown, each as wide as the room left allows."""
    room = width - 4
    chosen: dict[str, int] = {}
    for title, least, _most in COLUMNS:
        if least + 2 <= room:
            chosen[title] = least
            room -= least + 2
    for title, least, most in COLUMNS:
        if title in chosen:
            grow = min(most - least, room)
            chosen[title] += grow
            room -= grow
    return [(title, chosen[title]) for title in SHOWN_ORDER if title in chosen]


def directory_cells(p: Professional, patients: int) -> dict[str, str]:
    return {
        "Name": f"{p.display_name} (archived)" if p.archived else p.display_name,
        "Discipline": p.discipline,
        "Organisation": p.organisation,
        "Patients": str(patients),
        "Days": p.usual_days,
        "Phone": p.phone,
        "Email": p.email,
        "Setting": p.setting.value,
    }


class ProfessionalTable(RecordTable):
    HELP_TITLE = "Directory"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.to_patients", "Their patients", key_display="Enter"),
    ]


class TheirPatientsTable(RecordTable):
    HELP_TITLE = "Their patients"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open patient", key_display="Enter"),
        Binding("escape", "screen.to_directory", "Directory", key_display="Esc"),
    ]


#: The screen's keys that act on the directory; left out while the filter box has the focus (letters type there).
DIRECTORY_ACTIONS = frozenset({"add_professional", "edit_professional", "archive_professional", "toggle_archived"})


class ProfessionalsScreen(CoordinatorScreen):
    screen_title = "Professionals"
    AUTO_FOCUS = "#professionals-table"
    CSS_PATH = "professionals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_professional", "Add"),
        Binding("e", "edit_professional", "Edit"),
        Binding("d", "archive_professional", "Archive"),
        Binding("x", "toggle_archived", "Archived", tooltip="Show or hide archived professionals"),
        Binding("slash", "focus_filter", "Find", key_display="/"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self.professionals: dict[str, Professional] = {}
        self.counts: dict[int, int] = {}
        self.shown_for: str | None = None
        self._pending_select: int | None = None
        self.include_archived = False
        self.columns: list[tuple[str, int]] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="filter-row"):
            yield Label("Find")
            yield FilterInput(placeholder="name, discipline or organisation", id="professional-filter")
            yield Static("", id="professional-count", classes="filter-count")
        hint = Static("", id="professionals-empty", classes="empty-hint")
        hint.display = False  # until the directory is read
        yield hint
        yield ProfessionalTable(id="professionals-table")
        with Vertical(id="patients-pane"):
            yield Static("Patients", id="professional-patients-title", classes="pane-title")
            yield TheirPatientsTable(id="professional-patients")

    def on_mount(self) -> None:
        table = self.query_one(ProfessionalTable)
        self.columns = directory_columns(self.app.size.width)
        for title, width in self.columns:
            table.add_column(title, key=title, width=width)
        patients = self.query_one(TheirPatientsTable)
        for title, w in (("Name", 26), ("NHS number", 12), ("Hospital no.", 12), ("Born", 10)):
            patients.add_column(title, key=title, width=w)
        self.load("")

    # ---------------------------------------------------------------------------------------------------------
    # Loading
    # ---------------------------------------------------------------------------------------------------------

    def load(self, text: str) -> None:
        counts = self.counts if self.counts and text else None
        self.run_use_case(
            partial(directory_page, text=text, limit=PAGE_SIZE, counts=counts, include_archived=self.include_archived),
            lambda page: self.show_professionals(text, page.professionals, page.counts),
            failed="Could not load",
            group="professionals-load",
            exclusive=True,
        )

    def show_professionals(self, text: str, found: Sequence[Professional], counts: dict[int, int]) -> None:
        if text != self.filter_text:
            return
        self.counts = counts
        self.professionals = {str(p.id): p for p in found}
        table = self.query_one(ProfessionalTable)
        keep = str(self._pending_select) if self._pending_select is not None else table.selected_key
        table.clear()
        for p in found:
            cells = directory_cells(p, counts.get(p.id, 0))  # type: ignore[arg-type]
            table.add_row(*(cells[title] for title, _width in self.columns), key=str(p.id))
        if keep and table.move_to_key(keep) and self._pending_select is not None:
            table.focus()
        self._pending_select = None
        more = "first " if len(found) >= PAGE_SIZE else ""
        archived = ", archived ones too" if self.include_archived else ""
        self.query_one("#professional-count", Static).update(f"{more}{len(found)} found{archived}")
        self.show_empty_hint(text, found)
        self.load_patients(table.selected_key)

    def show_empty_hint(self, text: str, found: Sequence[Professional]) -> None:
        """An empty directory says which key adds the first professional; an empty filter result, how to clear it."""
        hint = self.query_one("#professionals-empty", Static)
        if found:
            hint.update("")
        elif text:
            hint.update(
                f"No professional matches “{text[:40]}”. Esc in the filter box clears it; a adds a professional."
            )
        else:
            hint.update("No professionals yet: press a to add the first one (x shows archived ones, if any).")
        hint.display = not found

    def load_patients(self, key: str | None) -> None:
        if key is None:
            self.workers.cancel_group(self, "professional-patients")
            self.show_patients(None, [])
            return
        self.run_use_case(
            partial(professional_patients, professional_id=int(key)),
            partial(self.show_patients, key),
            failed="Could not load",
            group="professional-patients",
            exclusive=True,
        )

    def show_patients(self, key: str | None, patients: Sequence[Patient]) -> None:
        self.shown_for = key
        professional = self.professionals.get(key) if key else None
        title = self.query_one("#professional-patients-title", Static)
        if professional is None:
            title.update("Patients: choose a professional above")
        else:
            count = len(patients)
            details = " · ".join(x for x in (professional.role, professional.phone, professional.email) if x)
            days = f" · usually {professional.usual_days}" if professional.usual_days else ""
            about = f" ({details}{days})" if details or days else ""
            title.update(
                f"{professional.display_name}{about}: in the care team of {count} patient{'s' if count != 1 else ''}"
            )
        table = self.query_one(TheirPatientsTable)
        table.clear()
        for p in patients:
            table.add_row(
                f"{p.family_name}, {p.given_name}",
                format_nhs_number(p.nhs_number),
                p.hospital_number,
                p.date_of_birth.strftime("%d/%m/%Y"),
                key=str(p.id),
            )

    # ---------------------------------------------------------------------------------------------------------
    # Events and actions
    # ---------------------------------------------------------------------------------------------------------

    @on(Input.Changed, "#professional-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.load(event.value)

    @on(Input.Submitted, "#professional-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(ProfessionalTable).focus()

    @on(DataTable.RowHighlighted, "#professionals-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key != self.shown_for:
            self.load_patients(key)

    @on(DataTable.RowSelected, "#professional-patients")
    def _patient_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.app.push_screen(_record_screen(int(event.row_key.value)))

    def action_to_patients(self) -> None:
        table = self.query_one(TheirPatientsTable)
        if table.row_count:
            table.focus()
        else:
            self.notify("This professional is in no current care team.")

    def action_to_directory(self) -> None:
        self.query_one(ProfessionalTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        in_filter = isinstance(self.focused, FilterInput)
        return not (in_filter and (action == "focus_filter" or action in DIRECTORY_ACTIONS))

    def action_focus_filter(self) -> None:
        self.query_one(FilterInput).focus()

    def action_reload(self) -> None:
        self.counts = {}
        self.load(self.filter_text)

    def action_toggle_archived(self) -> None:
        self.include_archived = not self.include_archived
        self.notify(
            "Showing archived professionals too." if self.include_archived else "Hiding archived professionals."
        )
        self.load(self.filter_text)

    # ---------------------------------------------------------------------------------------------------------
    # Add, edit, archive
    # ---------------------------------------------------------------------------------------------------------

    def _chosen_professional(self) -> Professional | None:
        key = self.query_one(ProfessionalTable).selected_key
        professional = self.professionals.get(key) if key else None
        if professional is None:
            self.notify("Choose a professional first (or a to add one).", severity="warning")
        return professional

    def action_add_professional(self) -> None:
        def save(database: Database, values: dict[str, Any], allow_duplicate: bool) -> Professional:
            return add_professional(database, values, allow_duplicate=allow_duplicate)

        def open_form(disciplines: list[str]) -> None:
            form = ProfessionalFormScreen("New professional", None, disciplines, save)
            self.app.push_screen(form, partial(self._saved, "Added"))

        self.run_use_case(discipline_choices, open_form, failed="Could not open the form")

    def action_edit_professional(self) -> None:
        chosen = self._chosen_professional()
        if chosen is None:
            return

        def open_form(found: tuple[Professional, list[str]]) -> None:
            professional, disciplines = found

            def save(database: Database, values: dict[str, Any], allow_duplicate: bool) -> Professional:
                return edit_professional(database, professional, values, allow_duplicate=allow_duplicate)

            form = ProfessionalFormScreen(f"Edit {professional.display_name}", professional, disciplines, save)
            self.app.push_screen(form, partial(self._saved, "Saved"))

        professional_id = chosen.id
        self.run_use_case(
            lambda database: (find_professional(database, professional_id), discipline_choices(database)),  # type: ignore[arg-type]
            open_form,
            failed="Could not open the form",
        )

    def _saved(self, verb: str, professional: Professional | None) -> None:
        if professional is None:
            return
        self.notify(f"{verb} {professional.display_name}.", title="Saved")
        self._pending_select = professional.id
        self.counts = {}
        self.load(self.filter_text)

    def action_archive_professional(self) -> None:
        chosen = self._chosen_professional()
        if chosen is None:
            return
        if chosen.archived:
            self.notify(f"{chosen.display_name} is already archived.", severity="warning")
            return
        professional_id = chosen.id

        def ask(found: tuple[Professional, ArchiveImpact]) -> None:
            professional, impact = found
            self.app.push_screen(
                ArchiveProfessionalScreen(professional, impact), partial(self._archive_answered, professional, impact)
            )

        self.run_use_case(
            lambda database: (
                find_professional(database, professional_id),  # type: ignore[arg-type]
                what_archiving_touches(database, professional_id),  # type: ignore[arg-type]
            ),
            ask,
            failed="Could not archive",
        )

    def _archive_answered(self, professional: Professional, impact: ArchiveImpact, yes: bool | None) -> None:
        if not yes:
            return
        self.run_use_case(
            lambda database: archive(database, professional, end_memberships=True, seen=impact),
            self._archived,
            failed="Not archived",
        )

    def _archived(self, result: ArchiveResult) -> None:
        name = result.professional.display_name
        ended = len(result.ended)
        ended_text = f"; {ended} care-team membership{'s' if ended != 1 else ''} ended" if ended else ""
        self.notify(f"Archived {name}{ended_text}.", title="Archived")
        if result.bookings_to_move:
            self.app.push_screen(BookingsToMoveScreen(name, result.bookings_to_move))
        self.counts = {}
        self.load(self.filter_text)

    def select_professional(self, professional_id: int) -> None:
        """Show one professional (command palette jump): clear the filter, highlight them, list their patients."""
        self._pending_select = professional_id

        def found(professional: Professional) -> None:
            self._pending_select = professional_id
            filter_input = self.query_one(FilterInput)
            text = f"{professional.given_name} {professional.family_name}"
            if filter_input.value != text:
                filter_input.value = text  # the Changed event reloads
            else:
                self.load(self.filter_text)

        self.run_use_case(partial(find_professional, professional_id=professional_id), found, failed="Not found")


def _record_screen(patient_id: int) -> CoordinatorScreen:
    from coordinator_tui.ui.screens.patient_record import PatientRecordScreen

    return PatientRecordScreen(patient_id)
