"""Read models for the Clinic days screen: clinic list counts, a clinic's whole timetable, day grids, family views.

Everything a clinic day shows is loaded in a handful of queries per clinic (never per cell): the clinic's
appointments with their professionals, patients and rooms, its staffing and rooms. The grid, the clash marks and
a family's two days are then computed in memory (pure functions, no database), so switching day, switching
between professional and room columns, or opening a family costs nothing.

Also here: what the booking form offers (``booking_choices``) and a suggested start (``first_free_start``);
booking and moving from that form are in ``booking``. ``clinic_list`` and ``load_clinic`` are the screens'
read use cases.
No Textual import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import SimpleNamespace
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import format_date, local_to_utc, to_local
from coordinator_tui.models import (
    AttendanceStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStaffing,
    Patient,
    Professional,
    Room,
)
from coordinator_tui.services.clinics import appointments as appointment_service
from coordinator_tui.services.clinics import clinics as clinic_service
from coordinator_tui.services.clinics.appointments import INACTIVE, AppointmentView, Clash, ClashKind
from coordinator_tui.services.people.specialist_service import service_zone

if TYPE_CHECKING:
    from coordinator_tui.db import Database

CLASH_SYMBOL = "⚠"
CLASH_WORD = "CLASH"
CLASH_MARK = f"{CLASH_SYMBOL} {CLASH_WORD}"

# ------------------------------------------------------------------------------------------------------------
# Clinic list
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClinicSummary:
    """One row of the clinic list: the event and how many families were invited / confirmed / declined /
    cancelled / did not attend (the rest have not replied)."""

    clinic: ClinicEvent
    invited: int  # every family asked, whatever their answer
    confirmed: int  # confirmed or attended
    declined: int
    cancelled: int = 0  # by the family or the service
    did_not_attend: int = 0

    @property
    def dates_text(self) -> str:
        return clinic_dates_text(self.clinic)

    @property
    def not_coming(self) -> int:
        """Declined, cancelled or did not attend."""
        return self.declined + self.cancelled + self.did_not_attend

    @property
    def awaiting_reply(self) -> int:
        return self.invited - self.confirmed - self.not_coming


def clinic_dates_text(clinic: ClinicEvent) -> str:
    if clinic.days <= 1:
        return format_date(clinic.start_date)
    return f"{format_date(clinic.start_date)}–{format_date(clinic.end_date)}"


def clinic_summaries(session: Session, clinics: Sequence[ClinicEvent] | None = None) -> list[ClinicSummary]:
    """The upcoming clinics (or the ones given) with their attendance counts, in one grouped query."""
    events = list(clinic_service.upcoming_clinics(session) if clinics is None else clinics)
    ids = [c.id for c in events if c.id is not None]
    counts: dict[int, dict[AttendanceStatus, int]] = defaultdict(dict)
    if ids:
        rows = session.exec(
            select(ClinicAttendance.clinic_event_id, ClinicAttendance.status, sa.func.count())
            .where(col(ClinicAttendance.clinic_event_id).in_(ids))
            .group_by(ClinicAttendance.clinic_event_id, ClinicAttendance.status)
        ).all()
        for clinic_id, status, number in rows:
            counts[clinic_id][AttendanceStatus(status)] = int(number)
    summaries = []
    for clinic in events:
        by_status = counts.get(clinic.id, {})  # type: ignore[arg-type]
        summaries.append(
            ClinicSummary(
                clinic=clinic,
                invited=sum(by_status.values()),
                confirmed=by_status.get(AttendanceStatus.CONFIRMED, 0) + by_status.get(AttendanceStatus.ATTENDED, 0),
                declined=by_status.get(AttendanceStatus.DECLINED, 0),
                cancelled=by_status.get(AttendanceStatus.CANCELLED, 0),
                did_not_attend=by_status.get(AttendanceStatus.DID_NOT_ATTEND, 0),
            )
        )
    return summaries


# ------------------------------------------------------------------------------------------------------------
# Attendance: the family support worker's to-do list
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceRow:
    """One family on a clinic's attendance list, read as plain columns (a clinic may list thousands).

    ``travel_booked``, ``hotel_booked`` and ``missing`` apply the domain's own rules (the properties of
    ``ClinicAttendance`` and ``AttendanceView``), never a copy of them.
    """

    attendance_id: int
    version: int
    status: AttendanceStatus
    patient_id: int
    given_name: str
    family_name: str
    travel_booked: bool
    hotel_booked: bool
    travel_out_arrive: dt.datetime | None
    travel_home_depart: dt.datetime | None
    status_changed_at: dt.datetime | None = None  # when the status last changed, and who recorded it
    status_changed_by: str = ""
    cancelled_by: str = ""  # "family" or "service" when cancelled

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def sort_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    @property
    def missing(self) -> list[str]:
        return _MISSING_RULE(SimpleNamespace(attendance=self))


_MISSING_RULE = clinic_service.AttendanceView.missing.fget  # type: ignore[attr-defined]
_TRAVEL_RULE = ClinicAttendance.travel_booked.fget  # type: ignore[attr-defined]
_HOTEL_RULE = ClinicAttendance.hotel_booked.fget  # type: ignore[attr-defined]
_A = ClinicAttendance.__table__.c  # type: ignore[attr-defined]
_P = Patient.__table__.c  # type: ignore[attr-defined]


def attendance_rows(session: Session, clinic_id: int) -> list[AttendanceRow]:
    """The clinic's families in name order: one query of the needed columns (no ORM objects)."""
    query = (
        sa.select(
            _A.id,
            _A.version,
            _A.status,
            _A.patient_id,
            _P.given_name,
            _P.family_name,
            _A.travel_out_mode,
            # Only whether these are set matters here (the booking rules): no time is read from them.
            _A.travel_out_depart.is_not(None).label("travel_out_depart"),
            _A.travel_out_arrive,
            _A.travel_home_depart,
            _A.hotel_name,
            _A.hotel_check_in.is_not(None).label("hotel_check_in"),
            _A.hotel_nights,
            _A.status_changed_at,
            _A.status_changed_by,
            _A.cancelled_by,
        )
        .join(Patient.__table__, _P.id == _A.patient_id)  # type: ignore[attr-defined]
        .where(_A.clinic_event_id == clinic_id)
        .order_by(_P.family_name, _P.given_name, _P.id)
    )
    # Each row's values are taken by position (a row's attribute by name costs about as much again as the rest of
    # building the row, and a clinic may list thousands); the booking rules read the row by name, as they read a
    # ClinicAttendance.
    rows = []
    for r in session.execute(query):
        (
            attendance_id,
            version,
            status,
            patient_id,
            given_name,
            family_name,
            _travel_out_mode,
            _travel_out_depart,
            travel_out_arrive,
            travel_home_depart,
            _hotel_name,
            _hotel_check_in,
            _hotel_nights,
            status_changed_at,
            status_changed_by,
            cancelled_by,
        ) = r
        rows.append(
            AttendanceRow(
                attendance_id=attendance_id,
                version=version,
                status=AttendanceStatus(status),
                patient_id=patient_id,
                given_name=given_name,
                family_name=family_name,
                travel_booked=_TRAVEL_RULE(r),
                hotel_booked=_HOTEL_RULE(r),
                travel_out_arrive=travel_out_arrive,
                travel_home_depart=travel_home_depart,
                status_changed_at=status_changed_at,
                status_changed_by=status_changed_by,
                cancelled_by=cancelled_by,
            )
        )
    return rows


def attendance_todo_count(rows: Iterable[AttendanceRow]) -> int:
    """Families still coming (invited or confirmed) still needing travel or a hotel booked."""
    return sum(1 for row in rows if row.missing)


def missing_text(row: AttendanceRow) -> str:
    return ", ".join(row.missing)


# ------------------------------------------------------------------------------------------------------------
# A clinic's whole timetable
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClinicTimetable:
    """Everything the timetable views of one clinic need, loaded once."""

    clinic: ClinicEvent
    zone: str
    appointments: tuple[AppointmentView, ...]  # every status, in start order
    staffing: tuple[tuple[ClinicStaffing, Professional], ...]
    rooms: tuple[Room, ...]
    clashes: tuple[Clash, ...]

    @property
    def active(self) -> list[AppointmentView]:
        return [v for v in self.appointments if v.appointment.status not in INACTIVE]

    def local_day(self, view: AppointmentView) -> dt.date:
        return to_local(view.appointment.start, self.zone).date()

    def on_day(self, day: dt.date, *, include_inactive: bool = False) -> list[AppointmentView]:
        return [
            v
            for v in self.appointments
            if self.local_day(v) == day and (include_inactive or v.appointment.status not in INACTIVE)
        ]

    def clashes_on(self, day: dt.date) -> list[Clash]:
        return [c for c in self.clashes if c.day == day]

    def clashing_ids(self, day: dt.date | None = None) -> dict[int, list[Clash]]:
        """Appointment id -> the clashes it takes part in."""
        result: dict[int, list[Clash]] = defaultdict(list)
        for clash in self.clashes:
            if day is None or clash.day == day:
                for appointment_id in clash.appointment_ids:
                    result[appointment_id].append(clash)
        return result

    def staffing_on(self, day: dt.date) -> list[tuple[ClinicStaffing, Professional]]:
        return [(s, p) for s, p in self.staffing if s.day == day]

    def find(self, appointment_id: int) -> AppointmentView | None:
        return next((v for v in self.appointments if v.appointment.id == appointment_id), None)

    def day_number(self, day: dt.date) -> int:
        return self.clinic.dates.index(day) + 1 if day in self.clinic.dates else 0


def load_clinic_timetable(session: Session, clinic_id: int) -> ClinicTimetable:
    """One clinic's appointments (all statuses), staffing, rooms and clashes: a fixed number of queries."""
    clinic = clinic_service.get_clinic(session, clinic_id)
    zone = service_zone(session)
    views = appointment_service.for_clinic(session, clinic_id)
    staffing = clinic_service.list_staffing(session, clinic_id)
    rooms = clinic_service.list_rooms(session, clinic_id)
    clashes = appointment_service.detect_clashes(views, clinic, zone, [s for s, _ in staffing])
    return ClinicTimetable(
        clinic=clinic,
        zone=zone,
        appointments=tuple(views),
        staffing=tuple(staffing),
        rooms=tuple(rooms),
        clashes=tuple(clashes),
    )


# ------------------------------------------------------------------------------------------------------------
# The day grid: one column per professional (or room), one row per time slot
# ------------------------------------------------------------------------------------------------------------


class GridMode(StrEnum):
    PROFESSIONAL = "professional"
    ROOM = "room"


@dataclass(frozen=True)
class GridColumn:
    key: str
    title: str
    subtitle: str = ""
    hours: tuple[dt.time, dt.time] | None = None  # a professional's hours that day; None = not staffed / a room


@dataclass(frozen=True)
class GridCell:
    appointment_ids: tuple[int, ...]
    text: str
    starts_here: bool
    clash: bool


@dataclass
class DayGrid:
    day: dt.date
    mode: GridMode
    slot_minutes: int
    slots: list[dt.time]
    columns: list[GridColumn]
    cells: dict[tuple[int, int], GridCell] = field(default_factory=dict)  # (row, column) -> cell
    off_hours: set[tuple[int, int]] = field(default_factory=set)  # professional not in clinic at that slot

    def cell(self, row: int, column: int) -> GridCell | None:
        return self.cells.get((row, column))

    def appointment_at(self, row: int, column: int) -> int | None:
        cell = self.cells.get((row, column))
        return cell.appointment_ids[0] if cell and cell.appointment_ids else None

    def position_of(self, appointment_id: int) -> tuple[int, int] | None:
        """The first cell (row, column) an appointment starts in."""
        for (row, column), cell in sorted(self.cells.items()):
            if appointment_id in cell.appointment_ids and cell.starts_here:
                return row, column
        return None


def _minutes(at: dt.time) -> int:
    return at.hour * 60 + at.minute


def _time(minutes: int) -> dt.time:
    minutes = max(0, min(minutes, 24 * 60 - 1))
    return dt.time(minutes // 60, minutes % 60)


def natural_key(text: str) -> tuple[object, ...]:
    """'Room 2' before 'Room 10'."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text))


def short_name(patient: Patient) -> str:
    """'A Smith' style, short enough for a grid cell."""
    initial = patient.given_name[:1]
    return f"{initial} {patient.family_name}".strip()


def professional_label(professional: Professional) -> str:
    name = f"{professional.given_name[:1]} {professional.family_name}".strip()
    return f"{professional.title} {name}".strip() if professional.title else name


def room_label(room: Room | None) -> str:
    return room.name if room is not None else "no room"


def build_day_grid(
    timetable: ClinicTimetable, day: dt.date, mode: GridMode = GridMode.PROFESSIONAL, slot_minutes: int = 15
) -> DayGrid:
    """The day as a grid; slots cover the clinic's hours, widened to show any appointment outside them."""
    clinic, zone = timetable.clinic, timetable.zone
    views = timetable.on_day(day)
    clashing = timetable.clashing_ids(day)

    def local_minutes(moment: dt.datetime) -> int:
        local = to_local(moment, zone)
        return (local.date() - day).days * 24 * 60 + local.hour * 60 + local.minute

    first = _minutes(clinic.day_start)
    last = _minutes(clinic.day_end)
    for v in views:
        first = min(first, local_minutes(v.appointment.start))
        last = max(last, local_minutes(v.appointment.end))
    first -= first % slot_minutes
    last += -last % slot_minutes
    slots = [_time(m) for m in range(first, last, slot_minutes)]

    columns: list[GridColumn] = []
    column_of: dict[object, int] = {}
    if mode is GridMode.PROFESSIONAL:
        for staffing, professional in timetable.staffing_on(day):
            if professional.id in column_of:
                continue
            column_of[professional.id] = len(columns)
            columns.append(
                GridColumn(
                    key=f"p{professional.id}",
                    title=professional_label(professional),
                    subtitle=professional.discipline,
                    hours=(staffing.start_time, staffing.end_time),
                )
            )
        extra = sorted(
            {p.id: p for v in views for p in v.professionals if p.id not in column_of}.values(),
            key=lambda p: (p.discipline, p.family_name, p.given_name),
        )
        for professional in extra:
            column_of[professional.id] = len(columns)
            columns.append(
                GridColumn(
                    key=f"p{professional.id}",
                    title=professional_label(professional),
                    subtitle=f"{professional.discipline} (not on rota)",
                )
            )
    else:
        for room in sorted(timetable.rooms, key=lambda r: (r.building, natural_key(r.name))):
            column_of[room.id] = len(columns)
            columns.append(GridColumn(key=f"r{room.id}", title=room.name, subtitle=room.building))
        if any(v.appointment.room_id is None for v in views):
            column_of[None] = len(columns)
            columns.append(GridColumn(key="r-none", title="No room", subtitle="to allocate"))

    grid = DayGrid(day=day, mode=mode, slot_minutes=slot_minutes, slots=slots, columns=columns)

    if mode is GridMode.PROFESSIONAL:
        for index, column in enumerate(columns):
            for row, slot in enumerate(slots):
                start = _minutes(slot)
                hours = column.hours
                if hours is None or start < _minutes(hours[0]) or start + slot_minutes > _minutes(hours[1]):
                    grid.off_hours.add((row, index))

    placed: dict[tuple[int, int], list[AppointmentView]] = defaultdict(list)
    starts: dict[tuple[int, int], set[int]] = defaultdict(set)
    for v in views:
        keys: list[object] = (
            [p.id for p in v.professionals] if mode is GridMode.PROFESSIONAL else [v.appointment.room_id]
        )
        start = local_minutes(v.appointment.start)
        end = local_minutes(v.appointment.end)
        first_row = (start - first) // slot_minutes
        last_row = max(first_row, (end - first - 1) // slot_minutes)
        for key in keys:
            column = column_of.get(key)
            if column is None:
                continue
            for row in range(first_row, last_row + 1):
                placed[(row, column)].append(v)
            starts[(first_row, column)].add(v.appointment.id)  # type: ignore[arg-type]

    for position, cell_views in placed.items():
        ids = tuple(v.appointment.id for v in cell_views)  # type: ignore[misc]
        clash = any(i in clashing for i in ids)
        starting = [v for v in cell_views if v.appointment.id in starts.get(position, set())]
        grid.cells[position] = GridCell(
            appointment_ids=ids,
            text=_cell_text(cell_views, starting, mode, clash, zone),
            starts_here=bool(starting),
            clash=clash,
        )
    return grid


def _cell_text(
    cell_views: list[AppointmentView], starting: list[AppointmentView], mode: GridMode, clash: bool, zone: str
) -> str:
    mark = f"{CLASH_MARK} " if clash else ""
    if not starting:
        # A continuation row: the bar says "still busy"; the clash word repeats so it shows when scrolled.
        return f"│ {mark}".rstrip() if clash else "│"
    names = []
    for v in starting:
        label = f"{to_local(v.appointment.start, zone):%H:%M} {short_name(v.patient)}"
        if mode is GridMode.ROOM:
            label = f"{label} · {v.appointment.discipline}"
        if v.appointment.status.value == "proposed":
            label = f"? {label}"
        names.append(label)
    text = " / ".join(names)
    if len(cell_views) > 1 and len(starting) < len(cell_views):
        text += f" (+{len(cell_views) - len(starting)})"
    return f"{mark}{text}"


# ------------------------------------------------------------------------------------------------------------
# One family's days
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyDays:
    patient_id: int
    name: str
    attendance: AttendanceRow | None
    appointments: tuple[AppointmentView, ...]  # every status, in start order
    clashes: dict[int, list[Clash]]

    def on_day(self, day: dt.date, zone: str) -> list[AppointmentView]:
        return [v for v in self.appointments if to_local(v.appointment.start, zone).date() == day]


def family_days(timetable: ClinicTimetable, patient_id: int, attendance: AttendanceRow | None = None) -> FamilyDays:
    """One family's appointments over the clinic's days (from the loaded timetable: no query)."""
    views = [v for v in timetable.appointments if v.patient.id == patient_id]
    fallback = attendance.full_name if attendance is not None else "this family"
    name = views[0].patient.full_name if views else fallback
    clashing = timetable.clashing_ids()
    return FamilyDays(
        patient_id=patient_id,
        name=name,
        attendance=attendance,
        appointments=tuple(views),
        clashes={v.appointment.id: clashing[v.appointment.id] for v in views if v.appointment.id in clashing},  # type: ignore[index]
    )


def clash_label(kind: ClashKind) -> str:
    return {
        ClashKind.PROFESSIONAL: "Professional double-booked",
        ClashKind.PATIENT: "Patient in two places",
        ClashKind.ROOM: "Room double-booked",
        ClashKind.OUTSIDE_HOURS: "Outside clinic hours",
        ClashKind.OUTSIDE_STAFFING: "Outside professional's hours",
    }[kind]


# ------------------------------------------------------------------------------------------------------------
# What the booking form offers (booking and moving themselves are in ``booking``)
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingChoices:
    """What the booking form offers: the clinic's families (not declined), its professionals and rooms."""

    patients: tuple[tuple[int, str], ...]
    professionals: tuple[tuple[int, str], ...]
    rooms: tuple[tuple[int, str], ...]
    disciplines: dict[int, str]


def booking_choices(timetable: ClinicTimetable, attendances: Sequence[AttendanceRow]) -> BookingChoices:
    """The families coming (not declined), the clinic's professionals (rota, then any booked) and rooms."""
    patients = tuple(
        (row.patient_id, row.sort_name) for row in attendances if row.status is not AttendanceStatus.DECLINED
    )
    seen: dict[int, Professional] = {}
    for _, professional in timetable.staffing:
        seen.setdefault(professional.id, professional)  # type: ignore[arg-type]
    for view in timetable.appointments:
        for professional in view.professionals:
            seen.setdefault(professional.id, professional)  # type: ignore[arg-type]
    ordered = sorted(seen.values(), key=lambda p: (p.discipline, p.family_name, p.given_name))
    rooms = sorted(timetable.rooms, key=lambda r: (r.building, natural_key(r.name)))
    return BookingChoices(
        patients=patients,
        professionals=tuple((p.id, f"{p.display_name} ({p.discipline})") for p in ordered),  # type: ignore[misc]
        rooms=tuple((r.id, f"{r.name}, {r.building}" if r.building else r.name) for r in rooms),  # type: ignore[misc]
        disciplines={p.id: p.discipline for p in ordered},  # type: ignore[misc]
    )


def first_free_start(timetable: ClinicTimetable, day: dt.date, professional_id: int | None, minutes: int = 30) -> str:
    """A suggestion for a new booking's start: the first slot the professional is free that day ('' if none)."""
    clinic = timetable.clinic
    busy = sorted(
        (to_local(v.appointment.start, timetable.zone), to_local(v.appointment.end, timetable.zone))
        for v in timetable.on_day(day)
        if professional_id is None or any(p.id == professional_id for p in v.professionals)
    )
    candidate = to_local(local_to_utc(day, clinic.day_start, timetable.zone), timetable.zone)
    for start, end in busy:
        if candidate + dt.timedelta(minutes=minutes) <= start:
            break
        candidate = max(candidate, end)
    if candidate.time() >= clinic.day_end:
        return ""
    return f"{candidate:%H:%M}"


# ------------------------------------------------------------------------------------------------------------
# The screens' read use cases
# ------------------------------------------------------------------------------------------------------------


def clinic_list(database: Database, *, include_past: bool = False) -> list[ClinicSummary]:
    """The upcoming clinics (with ``include_past``, every clinic, oldest first) with their counts, read without the
    write lock. Past clinics are where attended and did-not-attend are recorded once the days are over."""
    if include_past:
        return database.read(lambda session: clinic_summaries(session, clinic_service.list_clinics(session)))
    return database.read(clinic_summaries)


@dataclass(frozen=True)
class ClinicLoad:
    """Everything the clinic screen shows about one clinic."""

    timetable: ClinicTimetable
    attendances: list[AttendanceRow]
    choices: BookingChoices


def load_clinic(database: Database, clinic_id: int) -> ClinicLoad:
    """One clinic's timetable, attendance list and booking choices, in a fixed number of queries (one read)."""
    with database.read_session() as session:
        timetable = load_clinic_timetable(session, clinic_id)
        attendances = attendance_rows(session, clinic_id)
    return ClinicLoad(timetable, attendances, booking_choices(timetable, attendances))
