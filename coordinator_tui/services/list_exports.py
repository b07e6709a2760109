"""The lists the team shares and prints, as ``export.lists.ListTable`` rows: what a screen shows, or what the command
line lists (``coordinator-tui list KIND --format csv|xlsx``).

- the patient list (``patients_table``: the screen's rows, for its filter);
- the caseload (``caseload_table``: the open transition steps for the owner and category filters);
- who's coming to a clinic, with travel and hotel (``coming_list``: the families in the order the screen lists
  them, filtered as it shows them, with their bookings read from the database);
- a clinic day's timetable (``timetable_table``: the day's appointments, as the grid shows them).

The table builders take what the screen already holds; the use cases (``..._list(database, ...)``) read it first,
for the command line. A list never holds internal notes (a patient's, an appointment's, a family's at a clinic)
or the family instructions; dates and times are local to the service (its time zone), written DD/MM/YYYY.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from coordinator_tui import clock
from coordinator_tui.clinic_time import to_local
from coordinator_tui.export.lists import Cell, ListTable
from coordinator_tui.models import AttendanceStatus, ClinicAttendance
from coordinator_tui.services.clinics import clinics as clinic_service
from coordinator_tui.services.clinics.clinic_day_views import (
    AttendanceRow,
    ClinicTimetable,
    attendance_rows,
    clash_label,
    load_clinic_timetable,
    missing_text,
    room_label,
)
from coordinator_tui.services.clinics.invitations import status_text
from coordinator_tui.services.people.specialist_service import service_zone
from coordinator_tui.services.transition.checklists import Caseload, CaseloadBucket, caseload
from coordinator_tui.validation import ValidationError, format_nhs_number

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.services.people.patient_summary import PatientSummary


def local(moment: dt.datetime | None, zone: str) -> dt.datetime | None:
    """A stored UTC moment as the service's wall-clock time, without a zone (as a spreadsheet holds it)."""
    return to_local(moment, zone).replace(tzinfo=None) if moment is not None else None


#: The caseload's flags in words a spreadsheet sorts and filters on (the screen adds a symbol to each).
FLAG_WORDS: dict[CaseloadBucket, str] = {
    CaseloadBucket.OVERDUE: "OVERDUE",
    CaseloadBucket.NEXT_30: "due within 30 days",
    CaseloadBucket.NEXT_90: "due in 31–90 days",
}


# ------------------------------------------------------------------------------------------------------------
# Patients
# ------------------------------------------------------------------------------------------------------------

PATIENT_HEADERS = (
    "Name",
    "NHS number",
    "Hospital no.",
    "Age",
    "Next clinic",
    "Clinic",
    "Named worker",
    "Open transition items",
)


def patients_table(summaries: Sequence[PatientSummary], filter_text: str, today: dt.date) -> ListTable:
    """The patient list as the screen shows it (its first page for the filter typed), every column."""
    title = "Patients matching the filter" if filter_text.strip() else "Patients"
    return ListTable(
        title=title,
        name=f"patients_{today:%Y-%m-%d}",
        headers=PATIENT_HEADERS,
        rows=tuple(
            (
                f"{s.family_name}, {s.given_name}",
                format_nhs_number(s.nhs_number),
                s.hospital_number,
                s.age,
                s.next_clinic_date,
                s.next_clinic_name,
                s.named_worker or "none named",
                s.open_transition_items,
            )
            for s in summaries
        ),
    )


# ------------------------------------------------------------------------------------------------------------
# Caseload
# ------------------------------------------------------------------------------------------------------------

CASELOAD_HEADERS = ("Flag", "Due", "Patient", "Hospital no.", "Item", "Owner", "Category", "Status")


def caseload_table(result: Caseload) -> ListTable:
    """The caseload's rows (those the screen shows), with the filters applied in the title."""
    filters = [
        f"owner: {result.owner_role}" if result.owner_role else "",
        f"category: {result.category}" if result.category else "",
    ]
    applied = ", ".join(f for f in filters if f)
    title = f"Caseload ({applied})" if applied else "Caseload"
    return ListTable(
        title=title,
        name=f"caseload_{result.today:%Y-%m-%d}",
        headers=CASELOAD_HEADERS,
        rows=tuple(
            (
                FLAG_WORDS[row.bucket],
                row.item.due_date,
                row.patient.full_name,
                row.patient.hospital_number,
                row.item.title,
                row.item.owner_role,
                row.item.category,
                row.item.status.value.replace("_", " "),
            )
            for row in result.rows
        ),
    )


def caseload_list(
    database: Database, *, owner_role: str | None = None, category: str | None = None, limit: int | None = None
) -> ListTable:
    """Every open step overdue or due in the next 90 days (``limit``: the first ones), for the command line."""

    def read(session: Session) -> ListTable:
        zone = service_zone(session)
        return caseload_table(
            caseload(session, clock.today(zone), owner_role=owner_role, category=category, limit=limit)
        )

    return database.read(read)


# ------------------------------------------------------------------------------------------------------------
# Who's coming, with travel and hotel
# ------------------------------------------------------------------------------------------------------------

COMING_HEADERS = (
    "Patient",
    "Status",
    "Status recorded",
    "Recorded by",
    "Still to book",
    "Travel out",
    "Departs",
    "Arrives",
    "Travel out ref.",
    "Travel home",
    "Leaves",
    "Home by",
    "Travel home ref.",
    "Hotel",
    "Check-in",
    "Check-in time",
    "Nights",
    "Hotel ref.",
)

_A = ClinicAttendance.__table__.c  # type: ignore[attr-defined]


def _bookings(session: Session, attendance_ids: Iterable[int]) -> dict[int, sa.Row[tuple[object, ...]]]:
    """The travel and hotel columns of these attendances (never their notes or instructions)."""
    ids = list(attendance_ids)
    if not ids:
        return {}
    query = sa.select(
        _A.id,
        _A.travel_out_mode,
        _A.travel_out_depart,
        _A.travel_out_arrive,
        _A.travel_out_reference,
        _A.travel_home_mode,
        _A.travel_home_depart,
        _A.travel_home_arrive,
        _A.travel_home_reference,
        _A.hotel_name,
        _A.hotel_check_in,
        _A.hotel_check_in_time,
        _A.hotel_nights,
        _A.hotel_reference,
    ).where(_A.id.in_(ids))
    return {row.id: row for row in session.execute(query)}


def coming_rows(session: Session, clinic_id: int, shown: Sequence[AttendanceRow] | None, zone: str) -> ListTable:
    """Who's coming to a clinic in the order of ``shown`` (the rows the screen lists; None: every family), each
    with their status and their travel and hotel."""
    clinic = clinic_service.get_clinic(session, clinic_id)
    families = list(shown) if shown is not None else attendance_rows(session, clinic_id)
    bookings = _bookings(session, (f.attendance_id for f in families))
    rows: list[tuple[Cell, ...]] = []
    for family in families:
        b = bookings.get(family.attendance_id)
        if b is None:  # taken off the clinic since the screen loaded
            continue
        coming = family.status in (AttendanceStatus.INVITED, AttendanceStatus.CONFIRMED)
        rows.append(
            (
                family.sort_name,
                status_text(family.status, family.cancelled_by),
                local(family.status_changed_at, zone).date() if family.status_changed_at else None,
                family.status_changed_by,
                missing_text(family) if coming else "",
                b.travel_out_mode,
                local(b.travel_out_depart, zone),
                local(b.travel_out_arrive, zone),
                b.travel_out_reference,
                b.travel_home_mode,
                local(b.travel_home_depart, zone),
                local(b.travel_home_arrive, zone),
                b.travel_home_reference,
                b.hotel_name,
                b.hotel_check_in,
                b.hotel_check_in_time,
                b.hotel_nights or None,
                b.hotel_reference,
            )
        )
    return ListTable(
        title=f"Who's coming: {clinic.name}",
        name=f"{clinic.start_date:%Y-%m-%d}_clinic-{clinic_id}_coming",
        headers=COMING_HEADERS,
        rows=tuple(rows),
    )


def coming_list(database: Database, clinic_id: int, shown: Sequence[AttendanceRow] | None = None) -> ListTable:
    """Who's coming to the clinic (``shown``: the rows a screen lists, in its order), with travel and hotel."""

    def read(session: Session) -> ListTable:
        return coming_rows(session, clinic_id, shown, service_zone(session))

    return database.read(read)


# ------------------------------------------------------------------------------------------------------------
# A clinic day's timetable
# ------------------------------------------------------------------------------------------------------------

TIMETABLE_HEADERS = ("Date", "Start", "End", "Patient", "Hospital no.", "Discipline", "With", "Room", "Status", "Clash")


def timetable_table(timetable: ClinicTimetable, day: dt.date | None = None) -> ListTable:
    """The appointments on ``day`` (None: every day of the clinic) as the grid shows them (not the cancelled ones),
    in start order, with the kind of any clash they are part of."""
    clinic, zone = timetable.clinic, timetable.zone
    clashing = timetable.clashing_ids(day)
    views = timetable.on_day(day) if day is not None else list(timetable.active)
    rows: list[tuple[Cell, ...]] = []
    for view in views:
        appointment = view.appointment
        start, end = to_local(appointment.start, zone), to_local(appointment.end, zone)
        clashes = clashing.get(appointment.id, []) if appointment.id is not None else []
        rows.append(
            (
                start.date(),
                start.time().replace(second=0, microsecond=0),
                end.time().replace(second=0, microsecond=0),
                view.patient.full_name,
                view.patient.hospital_number,
                appointment.discipline,
                view.professional_names,
                room_label(view.room) if view.room is not None else "",
                appointment.status.value,
                ", ".join(dict.fromkeys(clash_label(c.kind) for c in clashes)),
            )
        )
    if day is not None:
        title = f"Timetable day {timetable.day_number(day)}: {clinic.name}"
        name = f"{day:%Y-%m-%d}_clinic-{clinic.id}_day-{timetable.day_number(day)}_timetable"
    else:
        title = f"Timetable: {clinic.name}"
        name = f"{clinic.start_date:%Y-%m-%d}_clinic-{clinic.id}_timetable"
    return ListTable(title=title, name=name, headers=TIMETABLE_HEADERS, rows=tuple(rows))


def timetable_list(database: Database, clinic_id: int, day: int | dt.date | None = None) -> ListTable:
    """A clinic's timetable: one day (its number, 1 for the first, or its date) or every day (None)."""

    def read(session: Session) -> ListTable:
        timetable = load_clinic_timetable(session, clinic_id)
        chosen: dt.date | None = None
        if isinstance(day, int):
            dates = timetable.clinic.dates
            if not 1 <= day <= len(dates):
                raise ValidationError.single(
                    "day", f"the clinic has {len(dates)} day{'s' if len(dates) != 1 else ''}: day {day} is not one"
                )
            chosen = dates[day - 1]
        elif isinstance(day, dt.date):
            if day not in timetable.clinic.dates:
                raise ValidationError.single("day", f"{day:%d/%m/%Y} is not a day of this clinic")
            chosen = day
        return timetable_table(timetable, chosen)

    return database.read(read)


# ------------------------------------------------------------------------------------------------------------
# The records the command line lists (patients, professionals, clinics, appointments)
# ------------------------------------------------------------------------------------------------------------

RECORD_TITLES = {
    "patients": "Patients (archived too)",
    "professionals": "Professionals (archived too)",
    "clinics": "Clinics",
    "appointments": "Appointments",
}


def record_list(database: Database, kind: str) -> ListTable:
    """Every record of ``kind`` (``services.people.listing.RECORD_KINDS``) with the columns ``list KIND`` prints."""
    from coordinator_tui.services.people.listing import rows

    def read(session: Session) -> ListTable:
        headings, records = rows(session, kind)
        today = clock.today(service_zone(session))
        return ListTable(
            title=RECORD_TITLES[kind],
            name=f"{kind}_{today:%Y-%m-%d}",
            headers=tuple(headings),
            rows=tuple(tuple(cells) for cells, _obj in records),
        )

    return database.read(read)
