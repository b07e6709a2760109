"""Family itineraries: what one family will do at one clinic event, in time order, family-facing text only.

An :class:`Itinerary` is built from the database and then handed to the renderers (``coordinator_tui.export``);
it holds plain frozen dataclasses and no database objects, so a renderer cannot reach anything the builder did
not choose to copy. What is copied, and what never is:

- copied: the patient's given and family name and their choice of calendar titles (neutral unless they chose
  detailed ones), the clinic's name, venue and dates, the family's travel (mode, times, booking reference), the
  hotel (name, address, phone, check-in day and time, booking reference), each appointment's local time, duration,
  discipline (and its plain-language name from ``data/disciplines.toml``), the professionals' display names, room
  and building, the family-facing instructions of the attendance and of each appointment still on, the service's
  short name, phone number for the day and what families are asked to bring;
- never copied: any ``internal_notes`` (patient, attendance, appointment), the patient's condition, professionals'
  phone numbers, email addresses or organisations, NHS or hospital numbers, other patients' appointments, the
  instructions of a cancelled appointment (nothing to do for it), the names at the closing meeting (it reads as
  a meeting with the care team).

Hotel check-in and check-out are timed: check-in at the hotel's time (``hotel_check_in_time``, else 15:00) on the
check-in day, check-out at 10:00 on the last morning, in the service's zone.

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

from coordinator_tui.clinic_time import local_to_utc, zone
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
from coordinator_tui.services.clinics.disciplines import family_name, is_round_table
from coordinator_tui.services.errors import NotFoundError

# A gap between two appointments of at least this long is shown as a break.
MIN_BREAK = dt.timedelta(minutes=30)
# A break that overlaps this local window is the day's lunch break.
LUNCH_WINDOW = (dt.time(12, 0), dt.time(14, 0))
# Hotel times in the service's zone when the booking gives none: check in from 15:00, check out by 10:00.
HOTEL_CHECK_IN_AT = dt.time(15, 0)
HOTEL_CHECK_OUT_AT = dt.time(10, 0)
# What families are asked to bring when the service has not said (``Service.what_to_bring`` blank).
DEFAULT_WHAT_TO_BRING = (
    "Any medicines you take (or a list of them)",
    "Glasses and hearing aids, if you use them",
    "The red book or health passport",
    "A list of questions you would like to ask",
)
#: What the closing round table is called for families (also its name in ``data/disciplines.toml``).
CARE_TEAM_MEETING = "Meeting with your care team"
#: What families read about it instead of a list of every professional's name.
CARE_TEAM_MEETING_TEXT = (
    "The people you saw at this visit meet with you together to talk about what they found and the plan."
)
#: Whom a calendar event says to call (with the service's phone number): never the service's name.
CLINIC_TEAM = "the clinic team"
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
    """One line of an itinerary. Times are aware datetimes in the service's zone (a hotel check-in or check-out is
    a moment: ``end`` equals ``start``). ``title`` is what families read: an appointment's plain-language name
    ("Eye clinic (ophthalmology)"); ``discipline`` is the discipline as recorded ("Ophthalmology")."""

    kind: ItemKind
    day: dt.date
    title: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    uid: str = ""  # stored calendar UID (random, stable across exports); empty for breaks (not calendar events)
    discipline: str = ""
    professionals: tuple[str, ...] = ()
    room: str = ""
    building: str = ""
    instructions: str = ""  # the family-facing instructions ("" for a cancelled appointment: nothing to do)
    fasting: bool = False  # a fasting appointment still on (False once cancelled)
    mode: str = ""  # travel: train, car, taxi…
    reference: str = ""  # travel or hotel booking reference
    place: str = ""  # hotel name
    address: str = ""
    phone: str = ""  # the hotel's phone (never a professional's)
    cancelled: bool = False
    tentative: bool = False  # proposed, not yet booked
    care_team_meeting: bool = False  # the closing round table

    @property
    def timed(self) -> bool:
        return self.start is not None

    @property
    def live(self) -> bool:
        """Still happening (not cancelled)."""
        return not self.cancelled

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
    # Calendar titles: neutral ("Hospital appointment") unless the family chose detailed ones (their record).
    detailed_titles: bool = False
    what_to_bring: tuple[str, ...] = DEFAULT_WHAT_TO_BRING  # one item each
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
    def live_appointments(self) -> tuple[ItineraryItem, ...]:
        """The appointments still on, in time order."""
        return tuple(i for i in self.appointments if i.live)

    @property
    def first_appointment(self) -> ItineraryItem | None:
        """The first appointment still on (None when none is)."""
        live = self.live_appointments
        return live[0] if live else None

    @property
    def fasting_appointment(self) -> ItineraryItem | None:
        """The first fasting appointment still on: fasting instructions are shown only while there is one."""
        return next((i for i in self.live_appointments if i.fasting), None)

    @property
    def service_for_families(self) -> str:
        """The service as families know it: its short name, else its name."""
        return self.service_short_name or self.service_name

    @property
    def call_on_the_day(self) -> str:
        """'Alström clinic on 0121 496 0000': whom families call on the day, on every printed itinerary; empty
        without a phone number."""
        if not self.service_phone:
            return ""
        return (
            f"{self.service_for_families} on {self.service_phone}" if self.service_for_families else self.service_phone
        )

    @property
    def calendar_contact(self) -> str:
        """Whom a calendar event says to call: "the clinic team on 0121 496 0000". Calendars never name the service:
        its names often name the condition ("Alström clinic"), and events show on shared screens; empty without a
        phone number."""
        if not self.service_phone:
            return ""
        return f"{CLINIC_TEAM} on {self.service_phone}"

    @property
    def running_late(self) -> str:
        """'If you are running late or cannot come, call Alström clinic on 0121 496 0000.' (printed itineraries);
        empty without a phone number."""
        return running_late_text(self.call_on_the_day)

    @property
    def title(self) -> str:
        """'Clinic visit 29–30 Mar 2027', the calendar's name: the dates only, never the child or the condition."""
        return f"Clinic visit {format_short_date_range(self.start_date, self.end_date)}"


def running_late_text(contact: str) -> str:
    """'If you are running late or cannot come, call <contact>.' ('' without a contact)."""
    return f"If you are running late or cannot come, call {contact}." if contact else ""


def what_to_bring_items(text: str) -> tuple[str, ...]:
    """A service's ``what_to_bring`` as items, one a line (blank lines and "- " bullets dropped); the defaults
    when it is blank."""
    items = tuple(line.strip().removeprefix("- ").removeprefix("* ").strip() for line in text.splitlines())
    return tuple(i for i in items if i) or DEFAULT_WHAT_TO_BRING


def format_date_range(first: dt.date, last: dt.date, *, month: str = "%B") -> str:
    """'29–30 March 2027', '31 March – 1 April 2027', '31 December 2027 – 1 January 2028' (``month="%b"``: 'Mar')."""
    if first == last:
        return f"{first.day} {first:{month} %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:{month} %Y}"
    if first.year == last.year:
        return f"{first.day} {first:{month}} – {last.day} {last:{month} %Y}"
    return f"{first.day} {first:{month} %Y} – {last.day} {last:{month} %Y}"


def format_short_date_range(first: dt.date, last: dt.date) -> str:
    """'29–30 Mar 2027', '31 Mar – 1 Apr 2027', '31 Dec 2027 – 1 Jan 2028', '29 Mar 2027'."""
    return format_date_range(first, last, month="%b")


def format_long_date(day: dt.date) -> str:
    """'Monday 29 March 2027'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


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
    what_to_bring: tuple[str, ...] = DEFAULT_WHAT_TO_BRING

    @classmethod
    def of(cls, service: Service | None) -> _FamilyFacing:
        if service is None:
            return cls()
        return cls(
            service.name,
            service.short_name,
            service.phone,
            service.timezone,
            service.reminder_minutes_before,
            what_to_bring_items(service.what_to_bring),
        )


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

    # (sort key, item), in time order; travel home goes after everything else on its day.
    keyed: list[tuple[tuple[dt.date, int, dt.datetime], ItineraryItem]] = []

    def add_timed(item: ItineraryItem, order: int = 1) -> None:
        assert item.start is not None
        keyed.append(((item.day, order, item.start.astimezone(dt.UTC)), item))

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
                uid=attendance.travel_out_uid,
                mode=attendance.travel_out_mode,
                reference=attendance.travel_out_reference,
                cancelled=clinic_cancelled,
            )
        )
    if attendance.hotel_name and attendance.hotel_check_in is not None:

        def hotel_item(kind: ItemKind, day: dt.date, at: dt.time, title: str, uid: str) -> ItineraryItem:
            moment = local(local_to_utc(day, at, zone_name))
            return ItineraryItem(
                kind=kind,
                day=moment.date(),
                title=title,
                start=moment,
                end=moment,
                uid=uid,
                place=attendance.hotel_name,
                address=attendance.hotel_address,
                phone=attendance.hotel_phone,
                reference=attendance.hotel_reference,
                cancelled=clinic_cancelled,
            )

        check_in = attendance.hotel_check_in
        add_timed(
            hotel_item(
                ItemKind.HOTEL_CHECK_IN,
                check_in,
                attendance.hotel_check_in_time or HOTEL_CHECK_IN_AT,
                "Hotel check-in",
                attendance.hotel_check_in_uid,
            )
        )
        if attendance.hotel_nights > 0:
            check_out = check_in + dt.timedelta(days=attendance.hotel_nights)
            add_timed(
                hotel_item(
                    ItemKind.HOTEL_CHECK_OUT,
                    check_out,
                    HOTEL_CHECK_OUT_AT,
                    "Hotel check-out",
                    attendance.hotel_check_out_uid,
                )
            )

    shown: list[ItineraryItem] = []
    for appointment in appointments:
        start, end = local(appointment.start), local(appointment.end)
        room = rooms.get(appointment.room_id)
        cancelled = clinic_cancelled or appointment.status == AppointmentStatus.CANCELLED
        meeting = appointment.kind == AppointmentKind.ROUND_TABLE or is_round_table(appointment.discipline)
        item = ItineraryItem(
            kind=ItemKind.APPOINTMENT,
            day=start.date(),
            title=CARE_TEAM_MEETING if meeting else family_name(appointment.discipline),
            start=start,
            end=max(end, start),
            uid=appointment.uid,
            discipline=appointment.discipline,
            # The closing meeting is with the care team, not a list of every name.
            professionals=() if meeting else tuple(names.get(appointment.id or 0, ())),
            room=room.name if room else "",
            building=room.building if room else "",
            # A cancelled appointment leaves nothing to do: no instructions, no fasting.
            instructions="" if cancelled else appointment.family_instructions,
            fasting=appointment.fasting and not cancelled,
            cancelled=cancelled,
            tentative=appointment.status == AppointmentStatus.PROPOSED,
            care_team_meeting=meeting,
        )
        add_timed(item)
        shown.append(item)

    for item in breaks(shown):
        add_timed(item)

    if attendance.travel_home_depart is not None:
        start = local(attendance.travel_home_depart)
        end = local(attendance.travel_home_arrive) if attendance.travel_home_arrive else start
        # Order 3: after everything else on the same day even if a late appointment overruns the booking.
        add_timed(
            ItineraryItem(
                kind=ItemKind.TRAVEL_HOME,
                day=start.date(),
                title="Travel home",
                start=start,
                end=max(end, start),
                uid=attendance.travel_home_uid,
                mode=attendance.travel_home_mode,
                reference=attendance.travel_home_reference,
                cancelled=clinic_cancelled,
            ),
            order=3,
        )

    keyed.sort(key=lambda pair: (pair[0], _kind_rank(pair[1].kind)))
    # The visit's instructions are things to do: none for a cancelled clinic.
    instructions = "" if clinic_cancelled else attendance.family_instructions
    return _visit(clinic, service, patient, tuple(item for _, item in keyed), instructions)


def _visit(
    clinic: ClinicEvent,
    service: _FamilyFacing,
    patient: Patient,
    items: tuple[ItineraryItem, ...] = (),
    instructions: str = "",
) -> Itinerary:
    """The itinerary of ``patient`` at ``clinic`` holding ``items``: the family, the clinic and the service's
    family-facing details."""
    assert clinic.id is not None and patient.id is not None
    return Itinerary(
        patient_id=patient.id,
        clinic_id=clinic.id,
        given_name=patient.given_name,
        family_name=patient.family_name,
        clinic_name=clinic.name,
        venue=clinic.venue,
        service_name=service.name,
        timezone=service.timezone,
        service_short_name=service.short_name,
        service_phone=service.phone,
        reminder_minutes=service.reminder_minutes,
        dates=tuple(clinic.dates),
        items=items,
        instructions=instructions,
        large_print=patient.large_print,
        clinic_cancelled=clinic.status == ClinicStatus.CANCELLED,
        detailed_titles=patient.detailed_calendar_titles,
        what_to_bring=service.what_to_bring,
    )


def empty_itinerary(session: Session, clinic: ClinicEvent, patient: Patient) -> Itinerary:
    """The family's visit with nothing in it: the calendar's name and whom to call, as a cancellation-only file
    shows them (``export.withdrawals``)."""
    return _visit(clinic, _FamilyFacing.of(session.get(Service, clinic.service_id)), patient)


# Items at the same moment: travel out first, then a check-out, appointments, breaks, a check-in (from its time,
# once the appointment then has ended), travel home last.
_KIND_ORDER = {
    ItemKind.TRAVEL_OUT: 0,
    ItemKind.HOTEL_CHECK_OUT: 1,
    ItemKind.APPOINTMENT: 2,
    ItemKind.BREAK: 3,
    ItemKind.LUNCH: 3,
    ItemKind.HOTEL_CHECK_IN: 4,
    ItemKind.TRAVEL_HOME: 5,
}


def _kind_rank(kind: ItemKind) -> int:
    return _KIND_ORDER[kind]


def breaks(appointments: Iterable[ItineraryItem]) -> list[ItineraryItem]:
    """The breaks of each day: gaps of MIN_BREAK or more between the appointments shown that day (cancelled ones
    included, so a break never overlaps anything printed), from the first appointment still on to the last one;
    the first such gap over midday is the lunch break. A day with nothing still on has no breaks."""
    result: list[ItineraryItem] = []
    by_day: dict[dt.date, list[ItineraryItem]] = defaultdict(list)
    for item in appointments:
        if item.start is not None and item.end is not None:
            by_day[item.day].append(item)
    for day, items in sorted(by_day.items()):
        live = [i for i in items if i.live]
        if not live:
            continue
        first = min(i.start.astimezone(dt.UTC) for i in live if i.start is not None)
        last = max(i.end.astimezone(dt.UTC) for i in live if i.end is not None)
        items.sort(key=lambda i: (_utc(i.start), _utc(i.end)))
        latest_end: dt.datetime | None = None  # the latest end so far of the appointments shown
        lunch_given = False
        for nxt in items:
            assert nxt.start is not None and nxt.end is not None
            if latest_end is not None:
                gap_start, gap_end = latest_end, nxt.start
                inside = _utc(gap_start) >= first and _utc(gap_end) <= last
                if inside and _utc(gap_end) - _utc(gap_start) >= MIN_BREAK:
                    is_lunch = not lunch_given and _overlaps_lunch(gap_start, gap_end)
                    lunch_given = lunch_given or is_lunch
                    result.append(
                        ItineraryItem(
                            kind=ItemKind.LUNCH if is_lunch else ItemKind.BREAK,
                            day=day,
                            title="Lunch break" if is_lunch else "Break",
                            start=gap_start,
                            end=gap_end,
                        )
                    )
            latest_end = nxt.end if latest_end is None else max(latest_end, nxt.end, key=_utc)
    return result


def _utc(moment: dt.datetime | None) -> dt.datetime:
    assert moment is not None
    return moment.astimezone(dt.UTC)


def _overlaps_lunch(start: dt.datetime, end: dt.datetime) -> bool:
    lunch_start = start.replace(hour=LUNCH_WINDOW[0].hour, minute=LUNCH_WINDOW[0].minute, second=0, microsecond=0)
    lunch_end = start.replace(hour=LUNCH_WINDOW[1].hour, minute=LUNCH_WINDOW[1].minute, second=0, microsecond=0)
    return start < lunch_end and end > lunch_start
