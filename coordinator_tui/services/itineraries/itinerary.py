"""Family itineraries: what one family will do at one clinic event, in time order, family-facing text only.

An :class:`Itinerary` is built from the database and then handed to the renderers (``coordinator_tui.export``);
it holds plain frozen dataclasses and no database objects, so a renderer cannot reach anything the builder did
not choose to copy. What is copied, and what never is:

- copied: the patient's given and family name, the clinic's name, venue and dates, the family's travel
  (mode, times, booking reference), the hotel (name, address, phone, dates, booking reference), each appointment's
  local time, duration, discipline, the professionals' display names, room and building, and the family-facing
  instructions of the attendance and of each appointment;
- never copied: any ``internal_notes`` (patient, attendance, appointment), professionals' phone numbers, email
  addresses or organisations, NHS or hospital numbers, other patients' appointments.

Public API::

    build_itinerary(session, clinic_id, patient_id) -> Itinerary
    build_clinic_itineraries(session, clinic_id, patient_ids=None) -> list[Itinerary]   # whole clinic, 6 queries

``build_itinerary`` raises ``NotFoundError`` for an unknown clinic or patient and ``NotAttendingError`` (a
``NotFoundError``) when the patient has no attendance at the clinic or has declined it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import zone
from coordinator_tui.models import (
    Appointment,
    AppointmentKind,
    AppointmentProfessional,
    AppointmentStatus,
    AttendanceStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStatus,
    Patient,
    Professional,
    Room,
    Service,
)
from coordinator_tui.services.errors import NotFoundError

# A gap between two appointments of at least this long is shown as a break.
MIN_BREAK = dt.timedelta(minutes=30)
# A break that overlaps this local window is the day's lunch break.
LUNCH_WINDOW = (dt.time(12, 0), dt.time(14, 0))
# Families who confirmed (or attended) get an itinerary; one who has not replied only when asked for by name
# (``unconfirmed=True``: the app asks first, the command line needs --unconfirmed); a family who declined, cancelled
# or did not attend never does.
ATTENDING_STATUSES = frozenset({AttendanceStatus.CONFIRMED, AttendanceStatus.ATTENDED})
AWAITING_REPLY = frozenset({AttendanceStatus.INVITED})

#: Why a family gets no file, by status, for "2 not written: 1 has not replied, 1 declined".
SKIPPED_WHY = {
    AttendanceStatus.INVITED: "has not replied",
    AttendanceStatus.DECLINED: "declined",
    AttendanceStatus.CANCELLED: "cancelled",
    AttendanceStatus.DID_NOT_ATTEND: "did not attend",
}


class NotAttendingError(NotFoundError):
    """The patient is not attending this clinic (no invitation, or declined, cancelled, did not attend)."""


class NotConfirmedError(NotAttendingError):
    """The family was invited but has not confirmed: their itinerary is written only when asked for explicitly."""


class ItemKind(StrEnum):
    TRAVEL_OUT = "travel_out"
    HOTEL_CHECK_IN = "hotel_check_in"
    HOTEL_CHECK_OUT = "hotel_check_out"
    APPOINTMENT = "appointment"
    BREAK = "break"
    LUNCH = "lunch"
    TRAVEL_HOME = "travel_home"


@dataclass(frozen=True)
class ItineraryItem:
    """One line of an itinerary. Times are aware datetimes in the service's zone; hotel items have a day only."""

    kind: ItemKind
    day: dt.date
    title: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    uid: str = ""  # stable calendar UID; empty for breaks (they are not calendar events)
    discipline: str = ""
    professionals: tuple[str, ...] = ()
    room: str = ""
    building: str = ""
    instructions: str = ""
    fasting: bool = False
    mode: str = ""  # travel: train, car, taxi…
    reference: str = ""  # travel or hotel booking reference
    place: str = ""  # hotel name
    address: str = ""
    phone: str = ""  # the hotel's phone (never a professional's)
    cancelled: bool = False
    tentative: bool = False  # proposed, not yet booked

    @property
    def timed(self) -> bool:
        return self.start is not None

    @property
    def minutes(self) -> int:
        if self.start is None or self.end is None:
            return 0
        return int((self.end.astimezone(dt.UTC) - self.start.astimezone(dt.UTC)).total_seconds() // 60)

    @property
    def location(self) -> str:
        return ", ".join(p for p in (self.room, self.building) if p)


@dataclass(frozen=True)
class Itinerary:
    patient_id: int
    clinic_id: int
    given_name: str
    family_name: str
    clinic_name: str
    venue: str
    service_name: str
    timezone: str
    dates: tuple[dt.date, ...]
    items: tuple[ItineraryItem, ...]
    service_short_name: str = ""  # what families call the service (the full name when empty)
    service_phone: str = ""  # the number families call on the day
    reminder_minutes: int = 60  # the calendar reminder before each appointment
    instructions: str = ""  # the attendance's family-facing instructions
    large_print: bool = False  # the patient's recorded need
    clinic_cancelled: bool = False
    days: tuple[tuple[dt.date, tuple[ItineraryItem, ...]], ...] = field(init=False)

    def __post_init__(self) -> None:
        by_day: dict[dt.date, list[ItineraryItem]] = defaultdict(list)
        for item in self.items:
            by_day[item.day].append(item)
        object.__setattr__(self, "days", tuple((d, tuple(by_day[d])) for d in sorted(by_day)))

    @property
    def start_date(self) -> dt.date:
        return self.dates[0]

    @property
    def end_date(self) -> dt.date:
        return self.dates[-1]

    @property
    def appointments(self) -> tuple[ItineraryItem, ...]:
        return tuple(i for i in self.items if i.kind is ItemKind.APPOINTMENT)

    @property
    def service_for_families(self) -> str:
        """The service as families know it: its short name, else its name."""
        return self.service_short_name or self.service_name

    @property
    def call_on_the_day(self) -> str:
        """'Alström clinic on 0121 496 0000': whom families call on the day, shown on every itinerary (after
        "On the day, call"); empty without a phone number."""
        if not self.service_phone:
            return ""
        return (
            f"{self.service_for_families} on {self.service_phone}" if self.service_for_families else self.service_phone
        )

    @property
    def title(self) -> str:
        """'<first name> – <clinic name> <dates>', the calendar's name."""
        return f"{self.given_name} – {self.clinic_name} {format_date_range(self.start_date, self.end_date)}"


def format_date_range(first: dt.date, last: dt.date) -> str:
    """'29–30 March 2027', '31 March – 1 April 2027', '31 December 2027 – 1 January 2028'."""
    if first == last:
        return f"{first.day} {first:%B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"


def format_long_date(day: dt.date) -> str:
    """'Monday 29 March 2027'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def stable_uid(kind: str, clinic_id: int, patient_id: int) -> str:
    """The calendar UID of a non-appointment item (travel, hotel): the same on every export."""
    return f"{kind}-c{clinic_id}-p{patient_id}@coordinator-tui.invalid"


# ------------------------------------------------------------------------------------------------------------
# Building
# ------------------------------------------------------------------------------------------------------------


def build_itinerary(session: Session, clinic_id: int, patient_id: int, *, unconfirmed: bool = False) -> Itinerary:
    """One family's itinerary; NotFoundError for an unknown clinic or patient, NotAttendingError if not attending
    (NotConfirmedError if they have not replied, unless ``unconfirmed``)."""
    if session.get(Patient, patient_id) is None:
        raise NotFoundError(f"no patient with id {patient_id}")
    itineraries = build_clinic_itineraries(session, clinic_id, [patient_id], unconfirmed=unconfirmed)
    return itineraries[0]


def _refuse_not_attending(clinic_id: int, patient_id: int, status: AttendanceStatus, unconfirmed: bool) -> None:
    if status in ATTENDING_STATUSES or (unconfirmed and status in AWAITING_REPLY):
        return
    if status in AWAITING_REPLY:
        raise NotConfirmedError(f"patient {patient_id} has not confirmed clinic {clinic_id} (no reply yet)")
    if status is AttendanceStatus.DID_NOT_ATTEND:
        raise NotAttendingError(f"patient {patient_id} did not attend clinic {clinic_id}")
    raise NotAttendingError(f"patient {patient_id} has {SKIPPED_WHY[status]} clinic {clinic_id}")


def skipped_families(session: Session, clinic_id: int) -> dict[AttendanceStatus, int]:
    """How many families of the clinic a whole-clinic export writes no file for, by status."""
    counts: dict[AttendanceStatus, int] = {}
    statuses = session.exec(
        select(ClinicAttendance.status).where(col(ClinicAttendance.clinic_event_id) == clinic_id)
    ).all()
    for value in statuses:
        status = AttendanceStatus(value)
        if status not in ATTENDING_STATUSES:
            counts[status] = counts.get(status, 0) + 1
    return counts


def skipped_text(counts: dict[AttendanceStatus, int]) -> str | None:
    """'2 not written: 1 has not replied, 1 declined' (None when every family gets a file)."""
    total = sum(counts.values())
    if not total:
        return None
    parts = [f"{counts[s]} {why}" for s, why in SKIPPED_WHY.items() if counts.get(s)]
    return f"{total} not written: {', '.join(parts)}"


def build_clinic_itineraries(
    session: Session, clinic_id: int, patient_ids: Sequence[int] | None = None, *, unconfirmed: bool = False
) -> list[Itinerary]:
    """The itineraries of every confirmed (or attended) family at a clinic (or of ``patient_ids``, where
    ``unconfirmed`` lets a family who has not replied have one), in a fixed small number of queries whatever the
    number of families; ordered by family name, given name, patient id."""
    clinic = session.get(ClinicEvent, clinic_id)
    if clinic is None:
        raise NotFoundError(f"no clinic with id {clinic_id}")
    service = _FamilyFacing.of(session.get(Service, clinic.service_id))

    query = (
        select(ClinicAttendance, Patient)
        .join(Patient, col(Patient.id) == col(ClinicAttendance.patient_id))
        .where(col(ClinicAttendance.clinic_event_id) == clinic_id)
    )
    if patient_ids is not None:
        query = query.where(col(ClinicAttendance.patient_id).in_(list(patient_ids)))
    rows = session.exec(query).all()
    found = {patient.id: (attendance, patient) for attendance, patient in rows}
    if patient_ids is not None:
        for pid in patient_ids:
            if pid not in found:
                raise NotAttendingError(f"patient {pid} is not invited to clinic {clinic_id}")
            _refuse_not_attending(clinic_id, pid, found[pid][0].status, unconfirmed)
    allowed = ATTENDING_STATUSES | (AWAITING_REPLY if unconfirmed and patient_ids is not None else frozenset())
    attending = [(a, p) for a, p in found.values() if a.status in allowed]
    attending.sort(key=lambda ap: (ap[1].family_name.casefold(), ap[1].given_name.casefold(), ap[1].id or 0))
    wanted = [p.id for _, p in attending if p.id is not None]
    if not wanted:
        return []

    appointments = session.exec(
        select(Appointment)
        .where(col(Appointment.clinic_event_id) == clinic_id)
        .where(col(Appointment.patient_id).in_(wanted))
        .order_by(col(Appointment.start), col(Appointment.end), col(Appointment.id))
    ).all()
    appointment_ids = [a.id for a in appointments]
    names: dict[int, list[str]] = defaultdict(list)
    if appointment_ids:
        for link, professional in session.exec(
            select(AppointmentProfessional, Professional)
            .join(Professional, col(Professional.id) == col(AppointmentProfessional.professional_id))
            .where(col(AppointmentProfessional.appointment_id).in_(appointment_ids))
            .order_by(col(Professional.family_name), col(Professional.given_name), col(Professional.id))
        ).all():
            names[link.appointment_id].append(professional.display_name)
    room_ids = {a.room_id for a in appointments if a.room_id is not None}
    rooms = {r.id: r for r in session.exec(select(Room).where(col(Room.id).in_(room_ids))).all()} if room_ids else {}
    by_patient: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in appointments:
        by_patient[appointment.patient_id].append(appointment)

    return [
        _assemble(
            clinic,
            service,
            attendance,
            patient,
            by_patient.get(patient.id or 0, []),
            names,
            rooms,
        )
        for attendance, patient in attending
    ]


@dataclass(frozen=True)
class _FamilyFacing:
    """What an itinerary shows of the service (from its details in the database)."""

    name: str = ""
    short_name: str = ""
    phone: str = ""
    timezone: str = "Europe/London"
    reminder_minutes: int = 60

    @classmethod
    def of(cls, service: Service | None) -> _FamilyFacing:
        if service is None:
            return cls()
        return cls(service.name, service.short_name, service.phone, service.timezone, service.reminder_minutes_before)


def _assemble(
    clinic: ClinicEvent,
    service: _FamilyFacing,
    attendance: ClinicAttendance,
    patient: Patient,
    appointments: Iterable[Appointment],
    names: dict[int, list[str]],
    rooms: dict[int | None, Room],
) -> Itinerary:
    assert clinic.id is not None and patient.id is not None
    zone_name = service.timezone
    tz = zone(zone_name)
    clinic_cancelled = clinic.status == ClinicStatus.CANCELLED

    def local(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(tz)

    # (sort key, item): date-only items go before (check-out) or after (check-in) the day's timed items.
    keyed: list[tuple[tuple[dt.date, int, dt.datetime], ItineraryItem]] = []
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)

    def add_timed(item: ItineraryItem) -> None:
        assert item.start is not None
        keyed.append(((item.day, 1, item.start.astimezone(dt.UTC)), item))

    if attendance.travel_out_depart is not None:
        start = local(attendance.travel_out_depart)
        end = local(attendance.travel_out_arrive) if attendance.travel_out_arrive else start
        add_timed(
            ItineraryItem(
                kind=ItemKind.TRAVEL_OUT,
                day=start.date(),
                title="Travel to the clinic",
                start=start,
                end=max(end, start),
                uid=stable_uid("travel-out", clinic.id, patient.id),
                mode=attendance.travel_out_mode,
                reference=attendance.travel_out_reference,
                cancelled=clinic_cancelled,
            )
        )
    if attendance.hotel_name and attendance.hotel_check_in is not None:

        def hotel_item(kind: ItemKind, day: dt.date, title: str, uid_kind: str) -> ItineraryItem:
            assert clinic.id is not None and patient.id is not None
            return ItineraryItem(
                kind=kind,
                day=day,
                title=title,
                uid=stable_uid(uid_kind, clinic.id, patient.id),
                place=attendance.hotel_name,
                address=attendance.hotel_address,
                phone=attendance.hotel_phone,
                reference=attendance.hotel_reference,
                cancelled=clinic_cancelled,
            )

        check_in = attendance.hotel_check_in
        keyed.append(
            ((check_in, 2, floor), hotel_item(ItemKind.HOTEL_CHECK_IN, check_in, "Hotel check-in", "hotel-in"))
        )
        if attendance.hotel_nights > 0:
            check_out = check_in + dt.timedelta(days=attendance.hotel_nights)
            keyed.append(
                ((check_out, 0, floor), hotel_item(ItemKind.HOTEL_CHECK_OUT, check_out, "Hotel check-out", "hotel-out"))
            )

    live: list[ItineraryItem] = []
    for appointment in appointments:
        start, end = local(appointment.start), local(appointment.end)
        room = rooms.get(appointment.room_id)
        cancelled = clinic_cancelled or appointment.status == AppointmentStatus.CANCELLED
        item = ItineraryItem(
            kind=ItemKind.APPOINTMENT,
            day=start.date(),
            title=_appointment_title(appointment),
            start=start,
            end=max(end, start),
            uid=appointment.uid,
            discipline=appointment.discipline,
            professionals=tuple(names.get(appointment.id or 0, ())),
            room=room.name if room else "",
            building=room.building if room else "",
            instructions=appointment.family_instructions,
            fasting=appointment.fasting,
            cancelled=cancelled,
            tentative=appointment.status == AppointmentStatus.PROPOSED,
        )
        add_timed(item)
        if not cancelled:
            live.append(item)

    for item in _breaks(live):
        add_timed(item)

    if attendance.travel_home_depart is not None:
        start = local(attendance.travel_home_depart)
        end = local(attendance.travel_home_arrive) if attendance.travel_home_arrive else start
        # Order 3: after everything else on the same day even if a late appointment overruns the booking.
        keyed.append(
            (
                (start.date(), 3, start.astimezone(dt.UTC)),
                ItineraryItem(
                    kind=ItemKind.TRAVEL_HOME,
                    day=start.date(),
                    title="Travel home",
                    start=start,
                    end=max(end, start),
                    uid=stable_uid("travel-home", clinic.id, patient.id),
                    mode=attendance.travel_home_mode,
                    reference=attendance.travel_home_reference,
                    cancelled=clinic_cancelled,
                ),
            )
        )

    keyed.sort(key=lambda pair: (pair[0], _kind_rank(pair[1].kind)))
    return Itinerary(
        patient_id=patient.id,
        clinic_id=clinic.id,
        given_name=patient.given_name,
        family_name=patient.family_name,
        clinic_name=clinic.name,
        venue=clinic.venue,
        service_name=service.name,
        timezone=zone_name,
        service_short_name=service.short_name,
        service_phone=service.phone,
        reminder_minutes=service.reminder_minutes,
        dates=tuple(clinic.dates),
        items=tuple(item for _, item in keyed),
        instructions=attendance.family_instructions,
        large_print=patient.large_print,
        clinic_cancelled=clinic_cancelled,
    )


_KIND_ORDER = {kind: i for i, kind in enumerate(ItemKind)}


def _kind_rank(kind: ItemKind) -> int:
    return _KIND_ORDER[kind]


def _appointment_title(appointment: Appointment) -> str:
    if appointment.kind == AppointmentKind.ROUND_TABLE:
        return "Team meeting (round table)"
    return appointment.discipline


def _breaks(appointments: list[ItineraryItem]) -> list[ItineraryItem]:
    """Gaps of MIN_BREAK or more between a day's (not cancelled) appointments; the one over midday is lunch."""
    result: list[ItineraryItem] = []
    by_day: dict[dt.date, list[ItineraryItem]] = defaultdict(list)
    for item in appointments:
        by_day[item.day].append(item)
    for day, items in by_day.items():
        items.sort(key=lambda i: (i.start, i.end))
        latest_end = items[0].end
        lunch_given = False
        for nxt in items[1:]:
            assert latest_end is not None and nxt.start is not None and nxt.end is not None
            if nxt.start.astimezone(dt.UTC) - latest_end.astimezone(dt.UTC) >= MIN_BREAK:
                is_lunch = not lunch_given and _overlaps_lunch(latest_end, nxt.start)
                lunch_given = lunch_given or is_lunch
                result.append(
                    ItineraryItem(
                        kind=ItemKind.LUNCH if is_lunch else ItemKind.BREAK,
                        day=day,
                        title="Lunch break" if is_lunch else "Break",
                        start=latest_end,
                        end=nxt.start,
                    )
                )
            latest_end = max(latest_end, nxt.end)
    return result


def _overlaps_lunch(start: dt.datetime, end: dt.datetime) -> bool:
    lunch_start = start.replace(hour=LUNCH_WINDOW[0].hour, minute=LUNCH_WINDOW[0].minute, second=0, microsecond=0)
    lunch_end = start.replace(hour=LUNCH_WINDOW[1].hour, minute=LUNCH_WINDOW[1].minute, second=0, microsecond=0)
    return start < lunch_end and end > lunch_start
