"""One patient's record: care team, family & contacts, clinic visits, transition checklist (tabs).

Everything the record shows is read by one use case (``services.people.patient_record.patient_record_view``), started
as the screen is created so that it usually lands before the screen is first painted; the Transition tab loads its
checklist itself. Each tab is a widget with its own keys, shown in the footer while its
list has the focus. Only the first tab's widget is built with the screen: the others are mounted right after the
record is first drawn, or at once when their key (or a click on the tab bar) asks for them, before the tab is shown
and its list focused.

``C`` (anywhere on the record) chooses the family's calendar titles after a y/n question: discreet (the default:
"Hospital appointment") or detailed, recorded with who chose and when; the Family & contacts tab says which.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.reactive import var
from textual.widget import AwaitMount, Widget
from textual.widgets import Static, TabbedContent, TabPane

from coordinator_tui import clock
from coordinator_tui.clinic_time import format_local_datetime, to_local
from coordinator_tui.models import (
    AttendanceStatus,
    CareTeamMember,
    ClinicAttendance,
    Contact,
    FamilyTold,
    Patient,
    Professional,
)
from coordinator_tui.services.clinics import clinics as clinic_service
from coordinator_tui.services.clinics.appointments import AppointmentView
from coordinator_tui.services.clinics.clinics import AttendanceView
from coordinator_tui.services.itineraries.families_to_tell import FamilyToTell
from coordinator_tui.services.people import care_team as care_team_service
from coordinator_tui.services.people import patient_record as record_service
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.services.people.calendar_titles import calendar_titles_text, choose_calendar_titles
from coordinator_tui.services.people.care_team import TeamMemberView
from coordinator_tui.services.people.patient_forms import (
    SavedPatient,
    archive_patient,
    delete_contact,
    restore_patient,
    save_contact,
    save_patient,
)
from coordinator_tui.services.people.patient_record import RecordData
from coordinator_tui.services.people.patient_summary import transition_facts
from coordinator_tui.services.people.professional_directory import find_professional
from coordinator_tui.services.transition.lifecycle import transfer_warning
from coordinator_tui.ui import field_limits as limits
from coordinator_tui.ui.field_limits import column_field
from coordinator_tui.ui.screens.base import CoordinatorScreen
from coordinator_tui.ui.screens.patient_forms import access_fields, contact_fields, patient_fields
from coordinator_tui.ui.screens.professional_forms import picked_professional_text
from coordinator_tui.ui.widgets.confirm import ConfirmScreen
from coordinator_tui.ui.widgets.data_table import DataTable
from coordinator_tui.ui.widgets.families_to_tell import told_form, told_message
from coordinator_tui.ui.widgets.forms import FieldKind, FormField, FormScreen
from coordinator_tui.ui.widgets.picker import PickerScreen
from coordinator_tui.ui.widgets.row_table import fit
from coordinator_tui.ui.widgets.tables import Column, RecordTable, refit_columns, shrink_when_empty
from coordinator_tui.ui.widgets.transition_list import TransitionList
from coordinator_tui.validation import format_nhs_number, format_uk_date

if TYPE_CHECKING:
    from coordinator_tui.db import Database

NAMED_WORKER = "★ named worker"
TABS = {"care": "Care team", "family": "Family & contacts", "visits": "Clinic visits", "transition": "Transition"}
TAB_KEYS = {"care": "c", "family": "f", "visits": "v", "transition": "t"}
TAB_TABLES = {  # each tab's list (it takes the focus when the tab is shown)
    "care": "care-table",
    "family": "contacts-table",
    "visits": "visits-table",
    "transition": "transition-table",
}


def yes_no(flag: bool) -> str:
    return "✓ yes" if flag else "✗ no"


def access_needs(patient: Patient) -> list[str]:
    needs = []
    if patient.large_print:
        needs.append("large print")
    if patient.bsl_interpreter:
        needs.append("BSL interpreter")
    if patient.interpreter_language:
        needs.append(f"{patient.interpreter_language} interpreter")
    if patient.wheelchair:
        needs.append("wheelchair")
    return needs


def summary_text(patient: Patient, today: dt.date) -> Text:
    age = patient_service.age_on(patient.date_of_birth, today)
    text = Text()
    text.append(patient.full_name, style="bold")
    text.append(f"  NHS {format_nhs_number(patient.nhs_number)} · {patient.hospital_number}")
    text.append(f" · born {format_uk_date(patient.date_of_birth)} (age {age})")
    needs = access_needs(patient)
    if needs:
        text.append(" · needs: " + ", ".join(needs), style="bold")
    if patient.archived:
        text.append(" · ARCHIVED", style="bold reverse")
    facts = transition_facts(patient)
    if facts:
        text.append("\nTransition: " + " · ".join(facts))
    warning = transfer_warning(patient, today)
    if warning:
        text.append(f"\n⚠ {warning} (p: record the actual transfer date)", style="bold")
    return text


# ------------------------------------------------------------------------------------------------------------
# Care team
# ------------------------------------------------------------------------------------------------------------


class CareTeamTable(RecordTable):
    HELP_TITLE = "Care team"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "screen.add_member", "Add"),
        Binding("e", "screen.edit_member", "Edit"),
        Binding("d", "screen.end_member", "End"),
        Binding("w", "screen.make_named_worker", "Named worker"),
        Binding("x", "screen.toggle_ended", "Ended", show=False),
        Binding("enter", "screen.edit_member", "Edit", show=False),
    ]


NAMED_MARK = "★ named"  # the named worker's row in the list (the panel below says it in full)
#: The care team's columns (``fit_columns``): the least useful dropped first on a narrow terminal (the panel under the
#: list shows the highlighted member in full).
CARE_TEAM_COLUMNS = (
    Column("Discipline", 18, 14),
    Column("Name", 24, 20),
    Column("Named", 7),
    Column("Role", 20, 8, drop=6),
    Column("Organisation", 30, 12, drop=3),
    Column("Phone", 13, drop=1),
    Column("Email", 32, 30, drop=2),  # an email cut short is of no use: whole, or in the panel below
    Column("From", 10, drop=4),
    Column("Until", 10, drop=5),
)


def member_cells(view: TeamMemberView, discipline: str) -> dict[str, str]:
    member, pro = view.member, view.professional
    ended = member.status.value == "ended"
    return {
        "Discipline": discipline,
        "Name": pro.display_name + (" (ended)" if ended else ""),
        "Named": NAMED_MARK if member.is_named_worker else "",
        "Role": member.role,
        "Organisation": pro.organisation,
        "Phone": pro.phone,
        "Email": pro.email,
        "From": format_uk_date(member.start_date),
        "Until": format_uk_date(member.end_date) if member.end_date else "—",
    }


def member_rows(
    team: Sequence[TeamMemberView], columns: Sequence[tuple[str, int]] | None = None
) -> list[tuple[str, tuple[str, ...]]]:
    """The care team's rows, grouped by discipline, in the columns given (all of them by default), each cell cut
    to its column's width with an ellipsis."""
    shown = columns or [(column.title, column.width) for column in CARE_TEAM_COLUMNS]
    rows: list[tuple[str, tuple[str, ...]]] = []
    for discipline, members in care_team_service.grouped_by_discipline(team).items():
        for index, view in enumerate(members):
            cells = member_cells(view, discipline.capitalize() if index == 0 else "")
            rows.append((str(view.member.id), tuple(fit(cells[title], width) for title, width in shown)))
    return rows


class CareTeamPane(Vertical):
    def compose(self) -> ComposeResult:
        yield CareTeamTable(id="care-table")
        yield Static("", id="member-detail", classes="member-detail")

    def on_mount(self) -> None:
        self.columns: list[tuple[str, int]] = []
        self._fit_columns(self.app.size.width)

    def _fit_columns(self, width: int) -> bool:
        """Columns for a terminal ``width`` wide; True when they changed (the rows must be put in again)."""
        fitted = refit_columns(self.query_one(CareTeamTable), CARE_TEAM_COLUMNS, width, self.columns)
        if fitted is None:
            return False
        self.columns = fitted
        return True

    def on_resize(self) -> None:
        data = getattr(self, "data", None)
        if self._fit_columns(self.app.size.width) and data is not None:
            self.show(data, self.include_ended)

    def show(self, data: RecordData, include_ended: bool) -> None:
        self.data, self.include_ended = data, include_ended
        self.team = {str(v.member.id): v for v in data.team}
        table = self.query_one(CareTeamTable)
        keep = table.selected_key
        table.clear()
        for key, row in member_rows(data.team, self.columns):
            table.add_row(*row, key=key)
        if keep:
            table.move_to_key(keep)
        shrink_when_empty(table)
        if not data.team:
            self.query_one("#member-detail", Static).update("No one in the care team yet: press a to add someone.")
        self.show_detail(table.selected_key)

    def show_detail(self, key: str | None) -> None:
        view = getattr(self, "team", {}).get(key) if key else None
        detail = self.query_one("#member-detail", Static)
        if view is None:
            return
        m, p = view.member, view.professional
        text = Text()
        text.append(p.display_name, style="bold")
        if m.is_named_worker:
            text.append(f"  {NAMED_WORKER}", style="bold reverse")
        text.append(f"\n{p.discipline} · {m.role or 'no role recorded'} · {p.organisation} ({p.setting.value})")
        text.append(f"\nphone {p.phone or '—'} · email {p.email or '—'}")
        until = f" until {format_uk_date(m.end_date)}" if m.end_date else ""
        text.append(f"\nin the team from {format_uk_date(m.start_date)}{until} · {m.status.value}")
        detail.update(text)

    @on(DataTable.RowHighlighted, "#care-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.row_key.value)


# ------------------------------------------------------------------------------------------------------------
# Family & contacts
# ------------------------------------------------------------------------------------------------------------


class ContactsTable(RecordTable):
    HELP_TITLE = "Family & contacts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "screen.add_contact", "Add"),
        Binding("e", "screen.edit_contact", "Edit"),
        Binding("d", "screen.delete_contact", "Delete"),
        Binding("i", "screen.edit_access", "Access needs"),
        Binding("enter", "screen.edit_contact", "Edit", show=False),
    ]


#: The contacts' columns (``fit_columns``): on a narrow terminal the address goes first, then the email (the
#: contact's form shows them whole).
CONTACT_COLUMNS = (
    Column("Name", 24, 18),
    Column("Relationship", 12),
    Column("Preferred", 9, drop=2),
    Column("Itinerary", 9),
    Column("Phone", 13, drop=1),
    Column("Email", 32, 30, drop=3),
    Column("Address", 40, 16, drop=4),
)


def contact_cells(contact: Contact) -> dict[str, str]:
    return {
        "Name": contact.name,
        "Relationship": contact.relationship.value,
        "Preferred": contact.preferred_method.value,
        "Itinerary": yes_no(contact.receives_itinerary),
        "Phone": contact.phone,
        "Email": contact.email,
        "Address": " ".join(contact.address.split()),
    }


class FamilyPane(Vertical):
    def compose(self) -> ComposeResult:
        yield ContactsTable(id="contacts-table")
        yield Static("", id="access-panel")

    def on_mount(self) -> None:
        self.columns: list[tuple[str, int]] = []
        self._fit_columns(self.app.size.width)

    def _fit_columns(self, width: int) -> bool:
        """Columns for a terminal ``width`` wide; True when they changed (the rows must be put in again)."""
        fitted = refit_columns(self.query_one(ContactsTable), CONTACT_COLUMNS, width, self.columns)
        if fitted is None:
            return False
        self.columns = fitted
        return True

    def on_resize(self) -> None:
        data = getattr(self, "data", None)
        if self._fit_columns(self.app.size.width) and data is not None:
            self.show(data)

    def show(self, data: RecordData) -> None:
        self.data = data
        table = self.query_one(ContactsTable)
        keep = table.selected_key
        table.clear()
        for c in data.contacts:
            cells = contact_cells(c)
            table.add_row(*(fit(cells[title], width) for title, width in self.columns), key=str(c.id))
        if keep:
            table.move_to_key(keep)
        shrink_when_empty(table)
        p = data.patient
        text = Text()
        if not data.contacts:
            text.append("No family contacts yet: press a to add one.\n\n", style="bold")
        text.append("Accessibility needs (i to edit)\n", style="bold")
        text.append(f"Large print: {yes_no(p.large_print)}   BSL interpreter: {yes_no(p.bsl_interpreter)}   ")
        text.append(f"Wheelchair: {yes_no(p.wheelchair)}\n")
        text.append(f"Interpreter language: {p.interpreter_language or 'none'}")
        if data.contacts and not any(c.receives_itinerary for c in data.contacts):
            text.append("\n⚠ Nobody receives this family's itinerary.", style="bold")
        zone = getattr(self.app, "zone", "Europe/London")
        text.append(f"\n\n{calendar_titles_text(p, zone)} (C to change)")
        self.query_one("#access-panel", Static).update(text)


# ------------------------------------------------------------------------------------------------------------
# Clinic visits
# ------------------------------------------------------------------------------------------------------------


class VisitsTable(RecordTable):
    HELP_TITLE = "Clinic visits"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "screen.edit_travel", "Travel & hotel"),
        Binding("x", "screen.export_itinerary", "Export", tooltip="Export this visit's itinerary"),
        Binding("o", "screen.record_told", "Told", tooltip="Record that the family was told of this visit's changes"),
        Binding("enter", "screen.edit_travel", "Travel & hotel", show=False),
    ]


#: A family's place in words (the status column and the visit's detail).
STATUS_WORDS = {
    AttendanceStatus.INVITED: "invited",
    AttendanceStatus.CONFIRMED: "confirmed",
    AttendanceStatus.DECLINED: "declined",
    AttendanceStatus.ATTENDED: "attended",
    AttendanceStatus.DID_NOT_ATTEND: "did not attend",
    AttendanceStatus.CANCELLED: "cancelled",
}
NOT_COMING = (AttendanceStatus.DECLINED, AttendanceStatus.CANCELLED)


def status_words(view: AttendanceView) -> str:
    return STATUS_WORDS.get(view.attendance.status, view.attendance.status.value)


def booked_text(view: AttendanceView, what: str, *, past: bool = False) -> str:
    """Travel or hotel: booked, or still to book ("✗ missing"); a past visit says what was booked, or "none booked"
    (what happened, not a to-do); a family not coming needs none."""
    a = view.attendance
    if a.status in NOT_COMING:
        return f"— {status_words(view)}"
    missing = "none booked" if past else "✗ missing"
    if what == "travel":
        return f"✓ {a.travel_out_mode}" if a.travel_booked else missing
    nights = "night" if a.hotel_nights == 1 else "nights"
    return f"✓ {a.hotel_nights} {nights}" if a.hotel_booked else missing


def ordered_visits(attendances: Sequence[AttendanceView], today: dt.date) -> list[tuple[str, AttendanceView]]:
    """Upcoming visits first (soonest first, the next one marked ▶), then past ones (latest first)."""
    upcoming = sorted((v for v in attendances if v.clinic.end_date >= today), key=lambda v: v.clinic.start_date)
    past = sorted((v for v in attendances if v.clinic.end_date < today), key=lambda v: v.clinic.start_date)
    rows = [("▶ next" if i == 0 else "upcoming", v) for i, v in enumerate(upcoming)]
    rows += [("past", v) for v in reversed(past)]
    return rows


def dates_text(view: AttendanceView) -> str:
    clinic = view.clinic
    if clinic.days <= 1:
        return format_uk_date(clinic.start_date)
    return f"{clinic.start_date:%d/%m}–{format_uk_date(clinic.end_date)}"


def visit_detail(
    view: AttendanceView,
    appointments: Sequence[AppointmentView],
    zone: str,
    when: str = "",
    to_tell: FamilyToTell | None = None,
) -> Table:
    """Whether the itinerary needs sending again (and why), travel, hotel and the visit's appointments day by day; a
    past visit says what happened ("none booked"), not what is still to do."""
    a = view.attendance
    not_booked = "none booked" if when == "past" or a.status in NOT_COMING else "✗ not booked"
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, style="bold", min_width=12)
    table.add_column(ratio=1)
    table.add_row(
        "Clinic", Text(f"{view.clinic.name} ({when.lstrip('▶ ')})" if when else view.clinic.name, style="bold")
    )
    table.add_row("", f"{view.clinic.venue} · {dates_text(view)} · family {status_words(view)}")
    if to_tell is not None:
        table.add_row(*itinerary_cells(to_tell))

    def leg(mode: str, depart: Any, arrive: Any, ref: str) -> str:
        if not mode and not depart:
            return not_booked
        parts = [mode or "?"]
        if depart:
            parts.append(f"leaves {format_local_datetime(depart, zone)}")
        if arrive:
            parts.append(f"arrives {format_local_datetime(arrive, zone)}")
        if ref:
            parts.append(f"ref {ref}")
        return " · ".join(parts)

    table.add_row(
        "Travel out", leg(a.travel_out_mode, a.travel_out_depart, a.travel_out_arrive, a.travel_out_reference)
    )
    table.add_row(
        "Travel home", leg(a.travel_home_mode, a.travel_home_depart, a.travel_home_arrive, a.travel_home_reference)
    )
    if a.hotel_name:
        check_in = format_uk_date(a.hotel_check_in)
        if a.hotel_check_in is not None:
            check_in += f" from {a.hotel_check_in_time:%H:%M}" if a.hotel_check_in_time else " from 15:00"
        hotel = f"{a.hotel_name} · check in {check_in} · {a.hotel_nights} night(s)"
        if a.hotel_reference:
            hotel += f" · ref {a.hotel_reference}"
    else:
        hotel = not_booked
    table.add_row("Hotel", hotel)
    by_day: dict[dt.date, list[AppointmentView]] = defaultdict(list)
    for appt in appointments:
        by_day[to_local(appt.appointment.start, zone).date()].append(appt)
    if not by_day:
        table.add_row("Appointments", "none booked yet")
    for number, day in enumerate(view.clinic.dates, start=1):
        day_appts = by_day.pop(day, [])
        table.add_row(Text(f"Day {number} {day:%a} {format_uk_date(day)}", style="bold underline"), "")
        if not day_appts:
            table.add_row("", "no appointments")
        for appt in day_appts:
            table.add_row(*appointment_cells(appt, zone))
    for day, day_appts in sorted(by_day.items()):  # appointments outside the clinic's days (should not happen)
        table.add_row(Text(f"⚠ {format_uk_date(day)} (not a clinic day)", style="bold"), "")
        for appt in day_appts:
            table.add_row(*appointment_cells(appt, zone))
    return table


def itinerary_cells(to_tell: FamilyToTell) -> tuple[Text, Text]:
    """'⚠ Itinerary': send it again, or (a withdrawal) tell the family; the reasons one a line."""
    text = Text()
    if to_tell.withdrawal:
        text.append(f"✗ tell the family: sent on {format_uk_date(to_tell.last_sent)}, no longer right", style="bold")
    else:
        text.append(f"⚠ send it again (x): sent on {format_uk_date(to_tell.last_sent)}, since changed", style="bold")
    for reason in to_tell.reasons:
        text.append(f"\n{'!' if reason.withdrawal else '•'} {reason.text}")
    return Text("⚠ Itinerary", style="bold"), text


def appointment_cells(view: AppointmentView, zone: str) -> tuple[str, str]:
    a = view.appointment
    when = f"{to_local(a.start, zone):%H:%M}–{to_local(a.end, zone):%H:%M}"
    room = view.room.name if view.room else "room to be set"
    status = a.status.value
    if a.status.value in ("cancelled", "noshow"):
        status = f"✗ {status}"
    what = a.discipline + (" (fasting)" if a.fasting else "")
    return when, f"{what} · {view.professional_names or 'no professional'} · {room} · {status}"


class VisitsPane(Vertical):
    def compose(self) -> ComposeResult:
        yield VisitsTable(id="visits-table")
        with VerticalScroll(id="visit-days"):
            yield Static("", id="visit-detail")

    def on_mount(self) -> None:
        table = self.query_one(VisitsTable)
        clinic_width = max(16, min(40, self.app.size.width - 61))
        for title, width in (
            ("When", 12),
            ("Clinic", clinic_width),
            ("Status", 14),  # "did not attend"
            ("Travel", 11),
            ("Hotel", 11),  # "none booked"
        ):
            table.add_column(title, key=title, width=width)

    def show(self, data: RecordData) -> None:
        self.data = data
        self.views = {str(v.attendance.id): v for v in data.attendances}
        self.when = {str(v.attendance.id): when for when, v in ordered_visits(data.attendances, data.today)}
        table = self.query_one(VisitsTable)
        keep = table.selected_key
        table.clear()
        for when, view in ordered_visits(data.attendances, data.today):
            past = when == "past"
            tell = data.to_tell.get(view.clinic.id or 0)
            table.add_row(
                f"{when[0] if when.startswith('▶') else ' '} {format_uk_date(view.clinic.start_date)}",
                f"⚠ tell · {view.clinic.name}" if tell is not None else view.clinic.name,
                status_words(view),
                booked_text(view, "travel", past=past),
                booked_text(view, "hotel", past=past),
                key=str(view.attendance.id),
            )
        if keep:
            table.move_to_key(keep)
        shrink_when_empty(table)
        self.show_detail(table.selected_key)
        self.screen.refresh_bindings()

    def show_detail(self, key: str | None) -> None:
        detail = self.query_one("#visit-detail", Static)
        view = getattr(self, "views", {}).get(key) if key else None
        if view is None:
            detail.update("No clinic visits yet: this patient has not been invited to a clinic.")
            return
        appts = [a for a in self.data.appointments if a.appointment.clinic_event_id == view.clinic.id]
        to_tell = self.data.to_tell.get(view.clinic.id or 0)
        detail.update(visit_detail(view, appts, self.data.zone, self.when.get(key, ""), to_tell))

    @on(DataTable.RowHighlighted, "#visits-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.row_key.value)
        self.screen.refresh_bindings()  # o (told) is offered only on a visit with something to tell


# ------------------------------------------------------------------------------------------------------------
# The screen
# ------------------------------------------------------------------------------------------------------------


def travel_fields(attendance: ClinicAttendance, zone: str) -> list[FormField]:
    v = clinic_service.travel_form_values(attendance, zone)

    def text(name: str, label: str, placeholder: str = "", *, limit: int = 0, kind: FieldKind = "text") -> FormField:
        if limit:
            return FormField(name, label, v.get(name, ""), placeholder=placeholder, max_length=limit)
        return column_field(ClinicAttendance, name, label, v.get(name, ""), kind=kind, placeholder=placeholder)

    fields = [FormField.heading("Travel out")]
    for leg in ("travel_out", "travel_home"):
        if leg == "travel_home":
            fields.append(FormField.heading("Travel home"))
        fields += [
            text(f"{leg}_mode", "Mode", "train, car, taxi, flight…"),
            text(f"{leg}_depart_date", "Leaves on", "DD/MM/YYYY", limit=limits.DATE),
            text(f"{leg}_depart_time", "Leaves at", "HH:MM", limit=limits.TIME),
            text(f"{leg}_arrive_date", "Arrives on", "DD/MM/YYYY", limit=limits.DATE),
            text(f"{leg}_arrive_time", "Arrives at", "HH:MM", limit=limits.TIME),
            text(f"{leg}_reference", "Booking reference"),
        ]
    fields += [
        FormField.heading("Hotel"),
        text("hotel_name", "Hotel"),
        text("hotel_address", "Address", kind="multiline"),
        text("hotel_phone", "Phone", limit=limits.PHONE),
        text("hotel_check_in", "Check in", "DD/MM/YYYY", limit=limits.DATE),
        text("hotel_check_in_time", "Check in from", "HH:MM (blank: 15:00)", limit=limits.TIME),
        text("hotel_nights", "Nights", limit=limits.WHOLE_NUMBER),
        text("hotel_reference", "Booking reference"),
        FormField.heading("Notes"),
        text("family_instructions", "For the family", kind="multiline"),
        text("internal_notes", "Internal notes", kind="multiline"),
    ]
    return fields


def member_fields(view: TeamMemberView | None) -> list[FormField]:
    member = view.member if view else None
    fields = [
        column_field(
            CareTeamMember,
            "role",
            "Role in this team",
            member.role if member else "",
            placeholder="e.g. lead clinician",
        ),
        FormField(
            "start_date",
            "In the team from",
            format_uk_date(member.start_date) if member else "",
            placeholder="DD/MM/YYYY (blank: today)",
            max_length=limits.DATE,
        ),
    ]
    if member is None:
        fields.append(FormField("is_named_worker", "Named worker", False, kind="flag"))
    else:
        fields.append(
            FormField(
                "end_date",
                "Until",
                format_uk_date(member.end_date),
                placeholder="DD/MM/YYYY (blank: open)",
                max_length=limits.DATE,
            )
        )
    return fields


class PatientRecordScreen(CoordinatorScreen):
    """A patient's whole record. Esc goes back to the list.

    ``data`` is the record as last read (None until it lands): setting it shows it. ``built_tabs`` are the tabs
    whose list is mounted: a tab joining them is filled with the record.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="Esc"),
        Binding("p", "edit_patient", "Edit patient"),
        Binding("A", "archive_patient", "Archive", key_display="A"),
        Binding("C", "calendar_titles", "Calendar titles", show=False, key_display="C"),
        *(Binding(key, f"show_tab('{tab}')", TABS[tab], show=False) for tab, key in TAB_KEYS.items()),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("h", "history", "History", show=False),  # the audit log of this record (screens/audit.py)
    ]

    data: var[RecordData | None] = var(None, init=False)
    built_tabs: var[frozenset[str]] = var(frozenset(), init=False)
    include_ended: var[bool] = var(False, init=False)

    def __init__(self, patient_id: int, tab: str | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.initial_tab = tab if tab in TABS else "care"
        self.screen_title = "Patient record"
        # The first tab's list has the focus as the screen first shows (no second footer after the first paint).
        self.AUTO_FOCUS = f"#{TAB_TABLES[self.initial_tab]}"
        self._mounting: dict[str, AwaitMount] = {}  # the tabs' lists being mounted after the first one
        # Read the record while the screen is being built: it usually lands before the first paint.
        self.reload()

    def compose_body(self) -> ComposeResult:
        yield Static("Loading…", id="record-summary")
        with TabbedContent(initial=self.initial_tab, id="record-tabs"):
            for tab, title in TABS.items():
                with TabPane(f"{title} ({TAB_KEYS[tab]})", id=tab):
                    # Only the first tab's list now; the others right after the record is first drawn
                    # (_build_other_tabs), or as soon as their key is pressed (_build_tab).
                    if tab == self.initial_tab:
                        yield self._new_tab_list(tab)

    def _new_tab_list(self, tab: str) -> Widget:
        if tab == "care":
            return CareTeamPane(id="care-pane")
        if tab == "family":
            return FamilyPane(id="family-pane")
        if tab == "visits":
            return VisitsPane(id="visits-pane")
        return TransitionList(self.patient_id, id="transition-list")

    def on_mount(self) -> None:
        self.built_tabs = frozenset({self.initial_tab})

    async def _build_tab(self, tab: str) -> None:
        """Mount ``tab``'s list if it is not there yet, and fill it; returns once it is on the screen."""
        if tab in self.built_tabs:
            return
        if tab not in self._mounting:
            pane = self.query_one(f"TabPane#{tab}", TabPane)
            self._mounting[tab] = pane.mount(self._new_tab_list(tab))
        await self._mounting[tab]
        self.built_tabs |= {tab}  # whoever gets here first (the key, or the build after the first frame) fills it

    async def _build_other_tabs(self) -> None:
        """The tabs not shown yet, once the record is on the screen: their keys then switch at once."""
        if not self.is_attached:
            return
        await asyncio.gather(*(self._build_tab(tab) for tab in TABS))

    # ---------------------------------------------------------------------------------------------------------
    # Loading
    # ---------------------------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the record again (off the UI thread); a newer reload cancels this one."""
        patient_id, include_ended = self.patient_id, self.include_ended
        self.run_use_case(
            lambda database: record_service.patient_record_view(
                database, patient_id, include_ended=include_ended, zone=self.coordinator.zone
            ),
            self.show,
            failed="Could not open the record",
            group="record-load",
            exclusive=True,
        )

    @property
    def loaded(self) -> bool:
        """True once the record's data is on screen."""
        return self.data is not None

    def show(self, data: RecordData) -> None:
        self.data = data

    def watch_data(self, old: RecordData | None, data: RecordData | None) -> None:
        if data is None:
            return
        self.sub_title = data.patient.full_name
        self.query_one("#record-summary", Static).update(summary_text(data.patient, data.today))
        for tab in self.built_tabs:
            self._fill(tab)
        if old is None:
            self.call_after_refresh(self._build_other_tabs)

    def watch_built_tabs(self, old: frozenset[str], built: frozenset[str]) -> None:
        for tab in built - old:
            self._fill(tab)

    def watch_include_ended(self) -> None:
        self.reload()

    def _fill(self, tab: str) -> None:
        """Put the loaded record in one tab's list (the Transition tab loads its checklist itself)."""
        data = self.data
        if data is None:
            return
        # query, not query_one: the record may have been closed while a tab was being built (nothing to fill).
        if tab == "care":
            for care in self.query(CareTeamPane):
                care.show(data, self.include_ended)
        elif tab == "family":
            for family in self.query(FamilyPane):
                family.show(data)
        elif tab == "visits":
            for visits in self.query(VisitsPane):
                visits.show(data)

    def action_reload(self) -> None:
        self.reload()
        for checklist in self.query(TransitionList):
            checklist.reload()

    # ---------------------------------------------------------------------------------------------------------
    # Navigation
    # ---------------------------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_history(self) -> None:
        from coordinator_tui.ui.screens.audit import AuditScreen

        self.app.push_screen(AuditScreen(self.patient_id))

    async def action_show_tab(self, tab: str) -> None:
        await self._build_tab(tab)  # at once if it is built already; the next key waits for this one
        self.query_one("#record-tabs", TabbedContent).active = tab
        self._focus_tab(tab)

    def _focus_tab(self, tab: str) -> None:
        """Focus the tab's list now (not after the next refresh, where a later tab key could be overtaken)."""
        table = self.query(f"#{TAB_TABLES[tab]}")
        if table and self.focused is not table.first():
            self.set_focus(table.first())

    def _tab_holding_focus(self) -> str | None:
        """The tab whose pane has the focus (None: the tab bar, or nothing, has it)."""
        node = self.focused
        while node is not None and node is not self:
            if isinstance(node, TabPane) and node.id in TABS:
                return node.id
            node = node.parent if isinstance(node.parent, Widget) else None
        return None

    @on(TabbedContent.TabActivated, "#record-tabs")
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """The tab shown follows the focus (TabbedContent shows the pane that gets the focus).

        A tab key focuses its tab's list itself (``action_show_tab``). A tab chosen on the tab bar (mouse, arrows)
        leaves the focus there: its list is built if need be and focused. A switch overtaken by a later key (its
        message arrives after the later key moved the focus) gives way to the tab holding the focus.
        """
        tab = event.pane.id
        if not tab:
            return
        await self._build_tab(tab)
        holder = self._tab_holding_focus()
        if holder is None:
            if self.active_tab == tab:
                self._focus_tab(tab)
        elif holder != self.active_tab:
            self.query_one("#record-tabs", TabbedContent).active = holder

    @property
    def active_tab(self) -> str:
        return str(self.query_one("#record-tabs", TabbedContent).active)

    # ---------------------------------------------------------------------------------------------------------
    # Patient details
    # ---------------------------------------------------------------------------------------------------------

    def _saved(self, what: str) -> Callable[[object], None]:
        def done(result: object) -> None:
            if result is not None:
                self.notify(what, title="Saved")
                self.action_reload()

        return done

    def _patient_saved(self, what: str) -> Callable[[SavedPatient | None], None]:
        """After a save of the patient: say so, and say when their checklist could not be brought up to date."""
        saved_message = self._saved(what)

        def done(saved: SavedPatient | None) -> None:
            saved_message(saved)
            if saved is not None and saved.checklist_note:
                self.notify(saved.checklist_note, title="Checklist not updated", severity="warning", timeout=15)

        return done

    def action_edit_patient(self) -> None:
        if self.data is None:
            return
        patient = self.data.patient
        self.app.push_screen(
            FormScreen(
                f"Edit {patient.full_name}",
                patient_fields(patient),
                lambda database, values: save_patient(database, patient, values),
                description="Fields marked * are required. Dates as DD/MM/YYYY.",
            ),
            self._patient_saved("Patient details saved."),
        )

    def action_archive_patient(self) -> None:
        """Archive the patient (off the patient list and the caseload; their checklist closes), or bring an archived
        patient back: each after a confirmation. Ctrl+P still finds an archived patient."""
        if self.data is None:
            return
        patient = self.data.patient
        if patient.archived:
            question = f"Bring {patient.full_name} back?"
            detail = (
                "They return to the patient list and the caseload, and their transition checklist opens again "
                "(items missed only because it closed are to do again)."
            )
            use_case, yes_label, done = restore_patient, "Bring back", f"{patient.full_name} is back on the list."
        else:
            question = f"Archive {patient.full_name}?"
            detail = (
                "They leave the patient list and the caseload, and their transition checklist closes: its open "
                "items become missed. The record, its history and the audit log are kept; Ctrl+P still finds "
                "them, and A on the record brings them back."
            )
            use_case, yes_label, done = archive_patient, "Archive", f"{patient.full_name} archived."

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_use_case(
                    partial(use_case, patient=patient),
                    self._patient_saved(done),
                    failed="Could not change the record",
                )

        self.app.push_screen(ConfirmScreen(question, detail, yes_label=yes_label, no_label="Keep as it is"), answered)

    def action_calendar_titles(self) -> None:
        """The family's calendar titles: discreet (the default) or detailed, after a y/n question."""
        if self.data is None:
            return
        patient = self.data.patient
        if patient.detailed_calendar_titles:
            question = f"Go back to discreet calendar titles for {patient.full_name}'s family?"
            detail = (
                'Events will be titled "Hospital appointment", "Travel", "Hotel check-in": nothing on a lock '
                "screen or a shared calendar says which clinic. The details stay in each event's description."
            )
            yes_label, detailed = "Discreet titles", False
        else:
            question = f"Use detailed calendar titles for {patient.full_name}'s family?"
            detail = (
                "Only if the family asked for them: each event's title will name the clinic (\"Eye clinic "
                '(ophthalmology)"), and calendars show titles on lock screens and shared family screens and sync '
                "them to cloud accounts. Recorded with your name and today's date; the next export uses it."
            )
            yes_label, detailed = "Detailed titles", True

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_use_case(
                    partial(choose_calendar_titles, patient=patient, detailed=detailed),
                    self._saved(f"Calendar titles: {'detailed' if detailed else 'discreet'}."),
                    failed="Could not change the record",
                )

        self.app.push_screen(ConfirmScreen(question, detail, yes_label=yes_label, no_label="Keep as it is"), answered)

    def action_edit_access(self) -> None:
        if self.data is None:
            return
        patient = self.data.patient
        self.app.push_screen(
            FormScreen(
                f"Accessibility needs: {patient.full_name}",
                access_fields(patient),
                lambda database, values: save_patient(database, patient, values),
                description="Space ticks a box. Itineraries follow these (large print, BSL, interpreter).",
            ),
            self._patient_saved("Accessibility needs saved."),
        )

    # ---------------------------------------------------------------------------------------------------------
    # Care team
    # ---------------------------------------------------------------------------------------------------------

    def _selected_member(self) -> TeamMemberView | None:
        key = self.query_one(CareTeamTable).selected_key
        view = getattr(self.query_one(CareTeamPane), "team", {}).get(key) if key else None
        if view is None:
            self.notify("Choose a care team member first.", severity="warning")
        return view

    def action_add_member(self) -> None:
        patient_id = self.patient_id

        def search(database: Database, text: str) -> list[tuple[str, str]]:
            found = record_service.professionals_to_add(database, patient_id, text)
            return [(str(p.id), f"{p.display_name} — {p.discipline}, {p.organisation}") for p in found]

        picker = PickerScreen(
            "Add to the care team: choose a professional (those in it are left out)",
            search,
            none_at_all="No one to add: everyone in the directory is in this care team, or the directory is empty. "
            "Add professionals on the Professionals screen (3, then a).",
        )
        self.app.push_screen(picker, self._add_member_form)

    def _add_member_form(self, professional_key: str | None) -> None:
        if professional_key is None:
            return
        patient_id = self.patient_id

        def open_form(professional: Professional) -> None:
            professional_id = professional.id

            def save(database: Database, values: dict[str, Any]) -> CareTeamMember:
                return record_service.add_team_member(database, patient_id, professional_id, values)  # type: ignore[arg-type]

            form = FormScreen(
                f"Add {professional.display_name} to the care team",
                member_fields(None),
                save,
                description=f"Adding: {picked_professional_text(professional)}",
            )
            self.app.push_screen(form, self._saved("Added to the care team."))

        self.run_use_case(
            partial(find_professional, professional_id=int(professional_key)), open_form, failed="Not found"
        )

    def action_edit_member(self) -> None:
        view = self._selected_member()
        if view is None:
            return
        member = view.member

        def save(database: Database, values: dict[str, Any]) -> CareTeamMember:
            return record_service.save_team_member(database, member, values)

        self.app.push_screen(
            FormScreen(f"Care team: {view.professional.display_name}", member_fields(view), save),
            self._saved("Membership saved."),
        )

    def action_end_member(self) -> None:
        view = self._selected_member()
        if view is None:
            return
        if view.member.status.value == "ended":
            self.notify("This membership has already ended.", severity="warning")
            return
        member = view.member
        detail = "They stay in the team's history."
        if member.is_named_worker:
            detail += " ⚠ They are the named worker: choose a new one afterwards (w)."

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_use_case(
                    lambda database: record_service.end_team_membership(database, member),
                    self._saved("Membership ended."),
                    failed="Membership not ended",
                )

        self.app.push_screen(
            ConfirmScreen(
                f"End {view.professional.display_name}'s membership of the care team today "
                f"({format_uk_date(clock.today())})?",
                detail,
                yes_label="End it",
                no_label="Keep",
            ),
            answered,
        )

    def action_make_named_worker(self) -> None:
        view = self._selected_member()
        if view is None:
            return
        if view.member.is_named_worker:
            self.notify(f"{view.professional.display_name} is already the named worker.")
            return
        member = view.member
        self.run_use_case(
            lambda database: record_service.choose_named_worker(database, member),
            self._saved(f"{view.professional.display_name} is now the named worker."),
            failed="Named worker not changed",
        )

    def action_toggle_ended(self) -> None:
        self.include_ended = not self.include_ended  # read again (watch_include_ended)
        self.notify("Showing ended memberships too." if self.include_ended else "Showing current members only.")

    # ---------------------------------------------------------------------------------------------------------
    # Family & contacts
    # ---------------------------------------------------------------------------------------------------------

    def _selected_contact(self) -> Contact | None:
        key = self.query_one(ContactsTable).selected_key
        contact = next((c for c in (self.data.contacts if self.data else []) if str(c.id) == key), None)
        if contact is None:
            self.notify("Choose a contact first (or a to add one).", severity="warning")
        return contact

    def action_add_contact(self) -> None:
        patient_id = self.patient_id
        self.app.push_screen(
            FormScreen(
                "New family contact",
                contact_fields(None),
                lambda database, values: save_contact(database, patient_id, None, values),
                description="Space ticks a box; Enter on a choice opens its list.",
            ),
            self._saved("Contact added."),
        )

    def action_edit_contact(self) -> None:
        contact = self._selected_contact()
        if contact is None:
            return
        patient_id = self.patient_id
        self.app.push_screen(
            FormScreen(
                f"Contact: {contact.name}",
                contact_fields(contact),
                lambda database, values: save_contact(database, patient_id, contact, values),
            ),
            self._saved("Contact saved."),
        )

    def action_delete_contact(self) -> None:
        contact = self._selected_contact()
        if contact is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                contact_id = contact.id
                assert contact_id is not None
                self.run_use_case(
                    lambda database: delete_contact(database, contact_id),
                    self._saved("Contact deleted."),
                    failed="Contact not deleted",
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Delete the contact {contact.name} ({contact.relationship.value})?",
                "The deletion is kept in the audit log.",
                yes_label="Delete",
                no_label="Keep",
            ),
            answered,
        )

    # ---------------------------------------------------------------------------------------------------------
    # Clinic visits
    # ---------------------------------------------------------------------------------------------------------

    def action_export_itinerary(self) -> None:
        """Export the selected visit's itinerary for this family (a modal with a preview)."""
        key = self.query_one(VisitsTable).selected_key
        view = getattr(self.query_one(VisitsPane), "views", {}).get(key) if key else None
        if view is None:
            self.notify("Choose a clinic visit first.", severity="warning")
            return
        from coordinator_tui.ui.screens.itinerary_export import ExportScreen

        self.app.push_screen(ExportScreen(int(view.clinic.id), int(view.attendance.patient_id)))

    def _visit_to_tell(self) -> FamilyToTell | None:
        """The selected visit's entry on its clinic's families to tell (None: not on it, or no visit selected)."""
        if not self.is_mounted:
            return None
        key = self.query_one(VisitsTable).selected_key
        pane = self.query_one(VisitsPane)
        view = getattr(pane, "views", {}).get(key) if key else None
        return None if view is None else pane.data.to_tell.get(view.clinic.id or 0)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """o (told) is dimmed on a visit with nothing to tell: its itinerary was never sent, or is still right."""
        if action == "record_told":
            return True if self._visit_to_tell() is not None else None
        return True

    def action_record_told(self) -> None:
        """Record that the family was told of the changes to the selected visit (as o on the clinic's families to
        tell): offered while the visit is marked "⚠ tell", that is while the itinerary they were sent is not right."""
        family = self._visit_to_tell()
        if family is None:
            self.notify("Nothing to tell for this visit: its itinerary was never sent, or is still right.")
            return

        def saved(record: FamilyTold | None) -> None:
            if record is not None:
                self.notify(told_message(family, record), title="Saved")
                self.action_reload()

        self.app.push_screen(told_form(family), saved)

    def action_edit_travel(self) -> None:
        key = self.query_one(VisitsTable).selected_key
        pane = self.query_one(VisitsPane)
        view = getattr(pane, "views", {}).get(key) if key else None
        if view is None:
            self.notify("Choose a clinic visit first.", severity="warning")
            return
        zone = self.coordinator.zone
        attendance = view.attendance

        def save(database: Database, values: dict[str, Any]) -> ClinicAttendance:
            return record_service.save_visit_travel(database, attendance, values, zone)

        self.app.push_screen(
            FormScreen(
                f"Travel & hotel: {view.clinic.name}",
                travel_fields(attendance, zone),
                save,
                description="Local times (24-hour clock). Leave a journey blank if it is not booked yet.",
            ),
            self._saved("Travel and hotel saved."),
        )
