"""A deterministic, obviously fictional data set for one national service.

Every person is invented: whimsical surnames, NHS numbers in the 999 test range, phone numbers in Ofcom's
ranges reserved for drama (01632 960xxx, 07700 900xxx) and email addresses at example.org.

``load_demo`` writes, relative to today: patients aged 2–30 with contacts, professionals across the service's
disciplines, care teams of 8–15 with one named worker each, six clinic events over the next 12 months (two days
each, from a ``dateutil.rrule``) with rooms and staffing, attendances with travel and hotel details, past clinics
with fulfilled appointments, and a timetable for the next clinic (with one deliberate clash to resolve).

Small data sets go through the services (audited row by row); large ones (``--patients`` in the thousands, for the
benchmarks) are bulk-inserted with one audit event saying so.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from dateutil.rrule import MO, MONTHLY, rrule
from sqlmodel import Session, SQLModel

from coordinator_tui import clock
from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.models import (
    Appointment,
    AppointmentKind,
    AppointmentProfessional,
    AppointmentStatus,
    AttendanceStatus,
    AuditAction,
    CareTeamMember,
    ClinicAttendance,
    ClinicEvent,
    ClinicRoom,
    ClinicStaffing,
    ClinicStatus,
    Contact,
    ContactMethod,
    ContactRelationship,
    Patient,
    Professional,
    ProfessionalSetting,
    Room,
    Service,
    Venue,
    patient_search_key,
)
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import update_record
from coordinator_tui.services.service_details import get_service
from coordinator_tui.validation import nhs_check_digit

GIVEN_NAMES = [
    "Alfie", "Bea", "Cai", "Dotty", "Ezra", "Fern", "Gus", "Hattie", "Ivo", "Juno", "Kit", "Lark", "Milo", "Nell",
    "Otto", "Pip", "Quinn", "Rosa", "Sid", "Tilly", "Umar", "Vi", "Wren", "Xander", "Yara", "Zeb",
]  # fmt: skip
FAMILY_NAMES = [
    "Applewhistle", "Bramblecombe", "Cobblethwaite", "Dandelionby", "Elderflower", "Fernsbury", "Gooseberry",
    "Hazelbrook", "Inkwellby", "Juniperton", "Kettleworth", "Lavenderby", "Marmaladeson", "Nettlebed",
    "Oakapple", "Pumpernickel", "Quillfeather", "Rosehipton", "Snapdragon", "Thimbleby", "Umbrellaby",
    "Velvetleaf", "Willowherb", "Yarrowby", "Zestwood",
]  # fmt: skip
PARENT_NAMES = ["Morgan", "Jordan", "Robin", "Sam", "Alex", "Charlie", "Jamie", "Frankie", "Hayden", "Rowan"]
SCHOOLS = [
    "Puddleby Primary School", "Little Snoring Academy", "Much Wittering High School",
    "St Swithin's Sensory Support Unit", "Lower Bumble College", "Upper Dimbleby Secondary",
]  # fmt: skip

# (discipline, minutes, organisation, family instructions, fasting test)
CENTRE_DISCIPLINES: list[tuple[str, int, str, bool]] = [
    ("phlebotomy", 15, "Nothing to eat or drink except water after midnight before day 1.", True),
    ("ophthalmology", 45, "Bring your glasses and any low-vision aids.", False),
    ("audiology", 45, "Bring hearing aids and spare batteries.", False),
    ("cardiology", 30, "An echo scan: wear a loose top.", False),
    ("endocrinology", 30, "Bring your glucose meter and diary.", False),
    ("renal", 30, "", False),
    ("hepatology", 30, "", False),
    ("dietetics", 30, "Bring a food diary of the last three days if you can.", False),
    ("physiotherapy", 30, "Wear comfortable clothes.", False),
    ("psychology", 45, "", False),
    ("respiratory", 30, "", False),
    ("specialist nursing", 30, "", False),
    ("transition coordination", 30, "", False),
    ("family support", 15, "", False),
    ("genetics", 30, "", False),
]
LOCAL_ROLES: list[tuple[str, str]] = [
    ("general practice", "Puddleby Health Centre"),
    ("community paediatrics", "Dimbleby Community Trust"),
    ("education", "Puddleby Local Authority SEND team"),
    ("social care", "Puddleby Children's Services"),
    ("qualified teacher of the visually impaired", "Sensory Support Service"),
]
TRAVEL_MODES = ["train", "car", "hospital transport", "coach"]
HOTELS = [
    ("Cosy Kettle Hotel", "1 Teapot Lane, Exampleton, EX1 0AA", "01632 960001"),
    ("The Drowsy Dormouse Inn", "22 Pillow Street, Exampleton, EX2 0BB", "01632 960002"),
]


@dataclass(frozen=True)
class DemoSummary:
    patients: int
    professionals: int
    clinics: int
    appointments: int


def demo_nhs_numbers(start: int = 0) -> Iterator[str]:
    """Valid NHS numbers in the 999 test range (never issued to real people)."""
    n = start
    while True:
        first_nine = f"999{n:06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            yield first_nine + str(check)
        n += 1


def _phone(rng: random.Random, mobile: bool) -> str:
    return f"07700 900{rng.randrange(1000):03d}" if mobile else f"01632 960{rng.randrange(1000):03d}"


class _Writer:
    """Adds rows one by one through the audit (small sets) or in bulk (benchmark-sized sets)."""

    def __init__(self, session: Session, bulk: bool) -> None:
        self.session = session
        self.bulk = bulk
        self.pending: dict[type[SQLModel], list[dict[str, Any]]] = defaultdict(list)
        self.next_ids: dict[type[SQLModel], int] = {}
        self.busy_slots: dict[tuple[int, int], int] = {}  # (clinic, professional) -> bitmask of taken slots
        self.rooms: dict[int, list[int]] = {}  # clinic -> room ids
        self.venue: Venue | None = None  # the demo's one venue, with a room for each centre professional
        self.venue_rooms: list[int] = []

    def add(self, record: SQLModel) -> SQLModel:
        if not self.bulk:
            from coordinator_tui.services.safety.records import create_record

            return create_record(self.session, record)
        model = type(record)
        if "id" in model.model_fields and getattr(record, "id", None) is None:
            if model not in self.next_ids:
                current = self.session.execute(sa.select(sa.func.max(model.__table__.c.id))).scalar()  # type: ignore[attr-defined]
                self.next_ids[model] = (current or 0) + 1
            record.id = self.next_ids[model]  # type: ignore[attr-defined]
            self.next_ids[model] += 1
        self.pending[model].append(record.model_dump())
        if len(self.pending[model]) >= 5000:
            self.flush()  # every table, parents first, so foreign keys always point at written rows
        return record

    def flush(self, model: type[SQLModel] | None = None) -> None:
        order = [
            Patient, Contact, Professional, CareTeamMember, Venue, Room, ClinicEvent, ClinicRoom, ClinicStaffing,
            ClinicAttendance, Appointment, AppointmentProfessional,
        ]  # fmt: skip
        for m in [model] if model else order:
            rows = self.pending.pop(m, [])  # type: ignore[arg-type]
            if rows:
                self.session.execute(sa.insert(m.__table__), rows)  # type: ignore[attr-defined, union-attr]


#: The demo service's details: fictional, the phone number from Ofcom's range kept for drama (0121 496 0000-0999).
DEMO_SERVICE = {
    "short_name": "Alström clinic",
    "phone": "0121 496 0000",
    "address": "Exampleton Children's Hospital\n1 Example Road\nExampleton EX1 1AA",
}


def _demo_service_details(session: Session) -> Service:
    """The service, with the demo's details filled in (audited, as the Service screen would save them)."""
    service = get_service(session)
    if service.settings_moved_on is not None:
        return service
    changes = {**DEMO_SERVICE, "settings_moved_on": clock.now()}
    return update_record(session, Service, service.id, changes, expected_version=service.version)


def load_demo(session: Session, *, patients: int = 40, seed: int = 7, professionals: int | None = None) -> DemoSummary:
    """Write the demo data set into an empty database, relative to ``clock.today()``."""
    if session.exec(sa.select(sa.func.count()).select_from(Patient)).one()[0]:  # type: ignore[call-overload]
        raise ValueError("the database already holds patients; write the demo into a new database")
    rng = random.Random(seed)
    today = clock.today()
    bulk = patients > 200
    writer = _Writer(session, bulk)
    service = _demo_service_details(session)
    zone = service.timezone
    professionals = professionals or max(25, patients // 5)

    # Professionals: one of each centre discipline first, then local roles, then more of each.
    pros: list[Professional] = []
    name_cycle = _names(rng)
    for i in range(professionals):
        if i < len(CENTRE_DISCIPLINES):
            discipline, org, setting = CENTRE_DISCIPLINES[i][0], "Exampleton Children's Hospital", "centre"
        elif i < len(CENTRE_DISCIPLINES) + len(LOCAL_ROLES):
            discipline, org = LOCAL_ROLES[i - len(CENTRE_DISCIPLINES)]
            setting = "local"
        else:
            discipline, org, setting = rng.choice(CENTRE_DISCIPLINES)[0], "Exampleton Adult Hospital", "centre"
        given, family = next(name_cycle)
        title = "Dr" if discipline in {"ophthalmology", "cardiology", "endocrinology", "renal", "hepatology"} else ""
        pros.append(
            writer.add(
                Professional(
                    title=title,
                    given_name=given,
                    family_name=family,
                    discipline=discipline,
                    organisation=org,
                    setting=ProfessionalSetting(setting),
                    phone=_phone(rng, mobile=False),
                    email=f"{given.lower()}.{family.lower()}{i}@example.org",
                )
            )  # type: ignore[arg-type]
        )
    centre = pros[: len(CENTRE_DISCIPLINES)]
    by_discipline: dict[str, list[Professional]] = defaultdict(list)
    for pro in pros:
        by_discipline[pro.discipline].append(pro)

    # Patients aged 2–30, each with contacts and a care team of 8–15 with one named worker.
    nhs = demo_nhs_numbers()
    people: list[Patient] = []
    for i in range(patients):
        given, family = next(name_cycle)
        age_days = rng.randrange(2 * 365, 30 * 365)
        dob = today - dt.timedelta(days=age_days)
        child = age_days < 18 * 365
        hospital_number = f"EXH{100000 + i}"
        patient = writer.add(
            Patient(
                nhs_number=next(nhs),
                hospital_number=hospital_number,
                given_name=given,
                family_name=family,
                search_key=patient_search_key(given, family, hospital_number),  # the bulk insert skips the events
                date_of_birth=dob,
                condition="Alström syndrome",
                school=rng.choice(SCHOOLS) if 4 * 365 < age_days < 19 * 365 else "",
                has_ehcp=(ehcp := child and rng.random() < 0.6),
                ehcp_reviewed_on=_demo_ehcp_review(i, dob, today) if ehcp else None,
                **_demo_transition_facts(i, child, age_days),
                large_print=rng.random() < 0.5,
                bsl_interpreter=rng.random() < 0.1,
                wheelchair=rng.random() < 0.15,
                interpreter_language="Welsh" if rng.random() < 0.05 else "",
                registered_on=max(dob, today - dt.timedelta(days=rng.randrange(30, 3000))),
                **_transfer_dates(rng, dob, today),
                internal_notes="Staff only: demo internal note, never exported.",
            )
        )
        people.append(patient)  # type: ignore[arg-type]
        _add_contacts(writer, rng, patient, child)  # type: ignore[arg-type]
        _add_care_team(writer, rng, patient, centre, by_discipline, today)  # type: ignore[arg-type]

    # Six upcoming clinics from a recurrence: every second month, on the second Monday, two days each.
    first = today + relativedelta(days=+1)
    starts = list(rrule(MONTHLY, interval=2, byweekday=MO(+2), dtstart=first, count=6))
    clinics: list[ClinicEvent] = []
    for n, start in enumerate(starts):
        clinics.append(
            _add_clinic(writer, service.id, f"Combined clinic {start:%B %Y}", start.date(), n, centre, zone)  # type: ignore[arg-type]
        )
    # Past clinics: each patient came about once or twice before (enough to give the benchmarks 20 appointments
    # per patient at scale).
    past_count = max(2, math.ceil(patients * 1.55 / 12))  # about twelve families a clinic
    past: list[ClinicEvent] = []
    for n in range(past_count):
        start = today - relativedelta(weeks=8 * (n + 1) if not bulk else 2 * (n + 1))
        start = start - dt.timedelta(days=start.weekday())  # a Monday
        past.append(
            _add_clinic(writer, service.id, f"Combined clinic {start:%d %B %Y}", start, n + 10, centre, zone, True)  # type: ignore[arg-type]
        )
    writer.flush()

    appointments = 0
    order = people[:]
    rng.shuffle(order)
    # Upcoming: each patient invited to one of the six clinics (about once a year).
    for i, patient in enumerate(order):
        clinic = clinics[i % len(clinics)]
        attendance = _add_attendance(writer, rng, clinic, patient, zone, upcoming=True)
        if clinic is clinics[0] and attendance.status is not AttendanceStatus.DECLINED:
            appointments += _add_timetable(writer, rng, clinic, patient, centre, zone, attendance, past=False)
    # Past: visits at the earlier clinics, timetabled and fulfilled.
    visits: set[tuple[int, int]] = set()
    for i in range(math.ceil(patients * 1.55)):
        patient = order[i % len(order)]
        clinic = past[(i + i // len(order)) % len(past)]
        if (clinic.id, patient.id) in visits:  # type: ignore[operator]
            continue
        visits.add((clinic.id, patient.id))  # type: ignore[arg-type]
        attendance = _add_attendance(writer, rng, clinic, patient, zone, upcoming=False)
        appointments += _add_timetable(writer, rng, clinic, patient, centre, zone, attendance, past=True)
    writer.flush()

    if not bulk and _add_deliberate_clash(session, clinics[0], zone):
        appointments += 1
    audit.record_change(
        session,
        AuditAction.CREATE,
        "demo_data",
        "load",
        after={"patients": patients, "professionals": professionals, "appointments": appointments, "seed": seed},
    )
    _generate_transition_checklists(session, today)
    return DemoSummary(patients, professionals, len(clinics) + len(past), appointments)


def _demo_ehcp_review(i: int, dob: dt.date, today: dt.date) -> dt.date:
    """When the demo EHCP was issued or last reviewed: some weeks to a year ago (a few reviews are overdue)."""
    return max(dob, today - dt.timedelta(days=40 + (i * 53) % 360))


def _demo_transition_facts(i: int, child: bool, age_days: int) -> dict[str, bool | int]:
    """The facts the transition rules read, for some demo patients (by their place in the list, not drawn from
    the random generator, so every other demo value stays as it was): DLA for children (half with a parent as
    appointee), learning disability (some may lack capacity), diabetes, hypothyroidism, and a child a school year
    behind their age group."""
    dla = child and i % 3 == 0
    learning_disability = i % 5 == 1
    return {
        "receives_dla": dla,
        "dla_appointee_parent": dla and i % 2 == 0,
        "learning_disability": learning_disability,
        "may_lack_capacity": learning_disability and i % 2 == 1,
        "diabetes_not_diet_controlled": age_days >= 10 * 365 and i % 4 == 2,
        "hypothyroidism": i % 7 == 3,
        "school_year_offset": 1 if child and 5 * 365 < age_days < 16 * 365 and i % 11 == 4 else 0,
    }


def _transfer_dates(rng: random.Random, dob: dt.date, today: dt.date) -> dict[str, dt.date]:
    """Young adults have moved to adult services at 18–19; 16–17-year-olds have a planned transfer date."""
    eighteenth = dob + relativedelta(years=18)
    transfer = eighteenth + relativedelta(months=rng.randrange(0, 12))
    if transfer <= today:
        return {"transferred_on": transfer, "planned_transfer_date": transfer}
    if dob + relativedelta(years=16) <= today:
        return {"planned_transfer_date": transfer}
    return {}


def _names(rng: random.Random) -> Iterator[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    while True:
        pair = (rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES))
        if pair in seen and len(seen) < len(GIVEN_NAMES) * len(FAMILY_NAMES):
            continue
        seen.add(pair)
        yield pair


def _add_contacts(writer: _Writer, rng: random.Random, patient: Patient, child: bool) -> None:
    if child or rng.random() < 0.5:
        parent = rng.choice(PARENT_NAMES)
        writer.add(
            Contact(
                patient_id=patient.id,  # type: ignore[arg-type]
                name=f"{parent} {patient.family_name}",
                relationship=ContactRelationship.PARENT,
                phone=_phone(rng, mobile=True),
                email=f"{parent.lower()}.{patient.family_name.lower()}@example.org",
                address="3 Imaginary Close, Exampleton, EX9 9ZZ",
                preferred_method=ContactMethod.TEXT if rng.random() < 0.5 else ContactMethod.EMAIL,
                receives_itinerary=True,
            )
        )
    if not child:
        writer.add(
            Contact(
                patient_id=patient.id,  # type: ignore[arg-type]
                name=patient.full_name,
                relationship=ContactRelationship.SELF,
                phone=_phone(rng, mobile=True),
                email=f"{patient.given_name.lower()}.{patient.family_name.lower()}@example.org",
                preferred_method=ContactMethod.EMAIL,
                receives_itinerary=True,
            )
        )


def _add_care_team(
    writer: _Writer,
    rng: random.Random,
    patient: Patient,
    centre: list[Professional],
    by_discipline: dict[str, list[Professional]],
    today: dt.date,
) -> None:
    size = rng.randint(8, 15)
    disciplines = [d for d, *_ in CENTRE_DISCIPLINES] + [d for d, _ in LOCAL_ROLES]
    chosen = ["specialist nursing", *rng.sample([d for d in disciplines if d != "specialist nursing"], size - 1)]
    named = rng.choice(["specialist nursing", "transition coordination"] if "transition coordination" in chosen else
                       ["specialist nursing"])  # fmt: skip
    for discipline in chosen:
        pro = rng.choice(by_discipline[discipline])
        writer.add(
            CareTeamMember(
                patient_id=patient.id,  # type: ignore[arg-type]
                professional_id=pro.id,  # type: ignore[arg-type]
                role="named worker" if discipline == named else discipline.capitalize(),
                start_date=max(patient.registered_on, today - dt.timedelta(days=rng.randrange(30, 2000))),
                is_named_worker=discipline == named,
            )
        )


def _add_clinic(
    writer: _Writer,
    service_id: int,
    name: str,
    start: dt.date,
    n: int,
    centre: list[Professional],
    zone: str,
    past: bool = False,
) -> ClinicEvent:
    venue, venue_rooms = _demo_venue(writer, service_id, centre)
    clinic = writer.add(
        ClinicEvent(
            service_id=service_id,
            name=name,
            venue_id=venue.id,
            venue=venue.name,
            start_date=start,
            days=2,
            status=ClinicStatus.CONFIRMED if past or n < 2 else ClinicStatus.PLANNED,
            series_id="demo-2026" if not past else "",
        )
    )
    room_ids: list[int] = []
    for pro, room_id in zip(centre, venue_rooms, strict=True):
        writer.add(ClinicRoom(clinic_event_id=clinic.id, room_id=room_id))  # type: ignore[arg-type]
        room_ids.append(room_id)
        for day in clinic.dates:  # type: ignore[attr-defined]
            writer.add(
                ClinicStaffing(
                    clinic_event_id=clinic.id,  # type: ignore[arg-type]
                    professional_id=pro.id,  # type: ignore[arg-type]
                    day=day,
                    start_time=dt.time(9, 0),
                    end_time=dt.time(17, 0),
                    room_id=room_ids[-1],
                )
            )
    writer.rooms[clinic.id] = room_ids  # type: ignore[index]
    return clinic  # type: ignore[return-value]


DEMO_VENUE = "Exampleton Children's Hospital, Outpatients"


def _demo_venue(writer: _Writer, service_id: int, centre: list[Professional]) -> tuple[Venue, list[int]]:
    """The demo's venue in the catalogue, once: one room per centre professional (the eye clinic and audiology
    suite in the children's building, the others in outpatients)."""
    if writer.venue is None:
        writer.venue = writer.add(Venue(service_id=service_id, name=DEMO_VENUE, address="1 Example Road, Exampleton"))  # type: ignore[assignment]
        for index, pro in enumerate(centre):
            if pro.discipline == "ophthalmology":
                name, building = "Eye Clinic", "Children's Building"
            elif pro.discipline == "audiology":
                name, building = "Audiology Suite", "Children's Building"
            else:
                name, building = f"Room {index + 1}", "Outpatients"
            room = writer.add(Room(venue_id=writer.venue.id, name=name, building=building))  # type: ignore[union-attr, arg-type]
            writer.venue_rooms.append(room.id)  # type: ignore[attr-defined]
    return writer.venue, writer.venue_rooms  # type: ignore[return-value]


def _add_attendance(
    writer: _Writer, rng: random.Random, clinic: ClinicEvent, patient: Patient, zone: str, *, upcoming: bool
) -> ClinicAttendance:
    day1, day2 = clinic.dates[0], clinic.dates[-1]
    if upcoming:
        status = rng.choice([AttendanceStatus.INVITED, AttendanceStatus.CONFIRMED, AttendanceStatus.CONFIRMED])
        if rng.random() < 0.1:
            status = AttendanceStatus.DECLINED
    else:
        status = AttendanceStatus.ATTENDED
    booked = not upcoming or rng.random() < 0.7
    hotel = HOTELS[rng.randrange(len(HOTELS))]
    values: dict[str, Any] = {}
    if booked:
        values = {
            "travel_out_mode": rng.choice(TRAVEL_MODES),
            "travel_out_depart": local_to_utc(day1 - dt.timedelta(days=1), dt.time(14, 30), zone),
            "travel_out_arrive": local_to_utc(day1 - dt.timedelta(days=1), dt.time(18, 15), zone),
            "travel_out_reference": f"TRV{rng.randrange(10000, 99999)}",
            "travel_home_mode": rng.choice(TRAVEL_MODES),
            "travel_home_depart": local_to_utc(day2, dt.time(17, 30), zone),
            "travel_home_arrive": local_to_utc(day2, dt.time(21, 0), zone),
            "travel_home_reference": f"TRV{rng.randrange(10000, 99999)}",
        }
        if rng.random() < 0.85:
            values |= {
                "hotel_name": hotel[0],
                "hotel_address": hotel[1],
                "hotel_phone": hotel[2],
                "hotel_check_in": day1 - dt.timedelta(days=1),
                "hotel_nights": 2,
                "hotel_reference": f"HTL{rng.randrange(10000, 99999)}",
            }
    return writer.add(  # type: ignore[return-value]
        ClinicAttendance(
            clinic_event_id=clinic.id,  # type: ignore[arg-type]
            patient_id=patient.id,  # type: ignore[arg-type]
            status=status,
            family_instructions="Please come to the Outpatients reception at 08:45 on day 1.",
            internal_notes="Staff only: demo attendance note.",
            **values,
        )
    )


SLOT_MINUTES = 5
DAY_SLOTS = 8 * 60 // SLOT_MINUTES  # 09:00–17:00
_DEFAULTS = Service(name="")  # the service's default hours and walking time
WALK_SLOTS = -(-_DEFAULTS.minutes_between_buildings // SLOT_MINUTES)  # time to walk to the next room
LUNCH = (12 * 60 + 30 - 9 * 60) // SLOT_MINUTES, 6  # 12:30–13:00 kept free for everyone: first slot, slots


def _slot_of(moment: dt.time) -> int:
    return (moment.hour * 60 + moment.minute - 9 * 60) // SLOT_MINUTES


def _each_day(days: int, first: int, count: int) -> int:
    """A bitmask of ``count`` slots from ``first`` on every clinic day."""
    block = ((1 << count) - 1) << first
    return sum(block << (day * DAY_SLOTS) for day in range(days))


def _first_free_slot(occupied: int, length: int, days: int) -> int | None:
    """The first slot index where ``length`` slots are free within one clinic day (bitmask of taken slots)."""
    block = (1 << length) - 1
    for day in range(days):
        for offset in range(DAY_SLOTS - length + 1):
            slot = day * DAY_SLOTS + offset
            if not occupied & (block << slot):
                return slot
    return None


def _add_timetable(
    writer: _Writer,
    rng: random.Random,
    clinic: ClinicEvent,
    patient: Patient,
    centre: list[Professional],
    zone: str,
    attendance: ClinicAttendance,
    *,
    past: bool,
) -> int:
    """A first-fit timetable for one family over the clinic's days (the demo's stand-in for the solver) that keeps
    the timetable's rules: fasting bloods first, then the other disciplines in a shuffled order, each in the first
    slot free for both the family and the professional, with time to walk to the next room, 12:30–13:00 free
    for lunch, and a child's day over by the child's end of day."""
    wanted = [c for c in CENTRE_DISCIPLINES if c[0] != "family support"]
    others = rng.sample(wanted[1:], rng.randint(11, len(wanted) - 1))
    chosen = [wanted[0], *others]
    rooms_for = writer.rooms[clinic.id]  # type: ignore[index]
    days: int = clinic.days  # type: ignore[assignment]
    lunch = _each_day(days, *LUNCH)
    family_busy = lunch
    if relativedelta(clinic.start_date, patient.date_of_birth).years < 18:  # type: ignore[arg-type]
        end = _slot_of(_DEFAULTS.child_day_end)
        family_busy |= _each_day(days, end, DAY_SLOTS - end)
    count = 0
    for index, (discipline, minutes, instructions, fasting) in enumerate(chosen):
        pro_index = [c[0] for c in CENTRE_DISCIPLINES].index(discipline)
        pro = centre[pro_index]
        key = (clinic.id, pro.id)
        writer.busy_slots.setdefault(key, lunch)  # type: ignore[arg-type]
        length = minutes // SLOT_MINUTES
        gap = (1 << (length + WALK_SLOTS)) - 1  # the family's time to walk to the next room
        slot = _first_free_slot(writer.busy_slots[key] | family_busy, length + WALK_SLOTS, days)  # type: ignore[index]
        if slot is None:
            continue
        writer.busy_slots[key] |= ((1 << length) - 1) << slot  # type: ignore[index]
        family_busy |= gap << slot
        if fasting:
            family_busy |= (1 << slot) - 1  # fasting bloods come first: nothing earlier that morning
        day, offset = divmod(slot, DAY_SLOTS)
        start = local_to_utc(clinic.dates[day], dt.time(9, 0), zone) + dt.timedelta(minutes=offset * SLOT_MINUTES)
        end = start + dt.timedelta(minutes=minutes)
        appointment = writer.add(
            Appointment(
                uid=f"demo-{clinic.id}-{patient.id}-{discipline.replace(' ', '-')}@coordinator-tui",
                clinic_event_id=clinic.id,  # type: ignore[arg-type]
                patient_id=patient.id,  # type: ignore[arg-type]
                discipline=discipline,
                kind=AppointmentKind.TEST if fasting else AppointmentKind.CONSULTATION,
                start=start,
                end=end,
                room_id=rooms_for[pro_index],
                status=AppointmentStatus.FULFILLED if past else AppointmentStatus.BOOKED,
                fasting=fasting,
                family_instructions=instructions,
                internal_notes="Staff only: demo appointment note." if index == 1 else "",
            )
        )
        writer.add(AppointmentProfessional(appointment_id=appointment.id, professional_id=pro.id))  # type: ignore[arg-type]
        count += 1
    return count


def _add_deliberate_clash(session: Session, clinic: ClinicEvent, zone: str) -> bool:
    """One double-booked professional in the next clinic, so the coordinator can see a clash marked and fix it.

    The other family is one that is free at that time (so the clash is the professional's, not the family's),
    preferably one without a cardiology appointment of its own. Returns whether the clash was booked."""
    from coordinator_tui.services.clinics import appointments

    views = appointments.for_clinic(session, clinic.id)  # type: ignore[arg-type]
    by_pro = [v for v in views if v.professionals and v.appointment.discipline == "cardiology"]
    if not by_pro:
        return False
    target = by_pro[0]
    with_cardiology = {v.patient.id for v in by_pro}
    busy = {
        v.patient.id
        for v in views
        if v.appointment.start < target.appointment.end and v.appointment.end > target.appointment.start
    }
    candidates = list({v.patient.id: v for v in views if v.patient.id != target.patient.id}.values())
    candidates.sort(key=lambda v: (v.patient.id in busy, v.patient.id in with_cardiology))
    if not candidates:
        return False
    other = candidates[0]
    appointments.book_appointment(
        session,
        clinic_id=clinic.id,  # type: ignore[arg-type]
        patient_id=other.patient.id,  # type: ignore[arg-type]
        professional_ids=[p.id for p in target.professionals],  # type: ignore[misc]
        start=target.appointment.start,
        end=target.appointment.end,
        discipline="cardiology",
        room_id=target.appointment.room_id,
        family_instructions="An echo scan: wear a loose top.",
        internal_notes="Staff only: double-booked by phone, to fix.",
        allow_clash=True,
    )
    return True


def _generate_transition_checklists(session: Session, today: dt.date) -> None:
    """Build every patient's transition checklist from the shipped milestone rules, then mark most items that fell
    due more than six weeks ago as done on their due date (a service that has been working its caseload), and
    regenerate so repeating reviews run on from the last one done."""
    from coordinator_tui.models import TransitionItem, TransitionStatus
    from coordinator_tui.services.transition import engine as transition
    from coordinator_tui.services.transition.milestone_rules import load_rules

    rules = load_rules()
    # Generated as of the first registration (as the app would have kept them since), so items whose time has
    # passed by today are on the lists, to be marked done below or found missed by the last regeneration.
    first_registration = session.execute(sa.select(sa.func.min(Patient.registered_on))).scalar() or today
    transition.regenerate_all(session, rules, today=min(first_registration, today))
    table = TransitionItem.__table__  # type: ignore[attr-defined]
    session.execute(
        sa.update(table)
        .where(table.c.due_date < today - dt.timedelta(days=42), table.c.id % 7 != 0)
        .values(status=TransitionStatus.DONE.name, completed_on=table.c.due_date, note="Done (demo).")
    )
    transition.regenerate_all(session, rules, today=today)
