"""The professionals directory, filtered as you type; the highlighted one's patients are listed below."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Static

from coordinator_tui.models import Patient, Professional
from coordinator_tui.services.people.professional_directory import (
    directory_page,
    find_professional,
    professional_patients,
)
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.widgets.tables import FilterInput, RecordTable
from coordinator_tui.validation import format_nhs_number

PAGE_SIZE = 300


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


class ProfessionalsScreen(CoordinatorScreen):
    screen_title = "Professionals"
    BINDINGS: ClassVar[list[BindingType]] = [
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

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="filter-row"):
            yield Label("Find")
            yield FilterInput(placeholder="name, discipline or organisation", id="professional-filter")
            yield Static("", id="professional-count", classes="filter-count")
        yield ProfessionalTable(id="professionals-table")
        with Vertical(id="patients-pane"):
            yield Static("Patients", id="professional-patients-title", classes="pane-title")
            yield TheirPatientsTable(id="professional-patients")

    def on_mount(self) -> None:
        width = self.app.size.width
        table = self.query_one(ProfessionalTable)
        name_width = max(20, min(30, width - 58))
        for title, w in (
            ("Name", name_width),
            ("Discipline", 16),
            ("Organisation", 20 if width < 110 else 30),
            ("Patients", 8),
            ("Setting", 7),
            ("Phone", 13),
            ("Email", 34),
        ):
            table.add_column(title, key=title, width=w)
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
            partial(directory_page, text=text, limit=PAGE_SIZE, counts=counts),
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
            table.add_row(
                p.display_name,
                p.discipline,
                p.organisation,
                str(counts.get(p.id, 0)),  # type: ignore[arg-type]
                p.setting.value,
                p.phone,
                p.email,
                key=str(p.id),
            )
        if keep and table.move_to_key(keep) and self._pending_select is not None:
            table.focus()
        self._pending_select = None
        more = "first " if len(found) >= PAGE_SIZE else ""
        self.query_one("#professional-count", Static).update(f"{more}{len(found)} found")
        self.load_patients(table.selected_key)

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
            title.update(f"{professional.display_name}: in the care team of {count} patient{'s' if count != 1 else ''}")
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
        return not (action == "focus_filter" and isinstance(self.focused, FilterInput))

    def action_focus_filter(self) -> None:
        self.query_one(FilterInput).focus()

    def action_reload(self) -> None:
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
