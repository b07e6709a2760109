"""Synthetic, obviously fictional clinic data for the itinerary and export tests.

Every internal note, staff contact detail and identifier that must never reach a family carries a unique
marker (see ``SECRET_MARKERS``); the other attending family's text carries ``OTHER_FAMILY_MARKERS``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session

from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.models import (
    Appointment,
    AppointmentKind,
    AppointmentProfessional,
    AppointmentStatus,
    AttendanceStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStatus,
    Contact,
    Patient,
    Professional,
    Room,
    Service,
)
from coordinator_tui.services.itineraries.itinerary import ItemKind, Itinerary, ItineraryItem
from coordinator_tui.validation import nhs_check_digit
from tests.venue_helpers import clinic_room

ZONE = "Europe/London"
_nhs_counter = itertools.count(100001)


def fictional_nhs_number() -> str:
    """A 10-digit NHS number in the 999 test range with a valid check digit."""
    while True:
        first_nine = f"999{next(_nhs_counter):06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"


SECRET_MARKERS = {
    "patient_internal": "QXSECRET-PATIENT-NOTE",
    "attendance_internal": "QXSECRET-ATTEND-NOTE",
    "appointment_internal": "QXSECRET-APPT-NOTE",
    "staff_phone": "0700QX99001",
    "staff_email": "qxsecret.staff@nhs.example",
    "staff_org": "QXSECRET-ORGANISATION",
    "contact_phone": "0700QX99002",
    "contact_email": "qxsecret.family@mail.example",
    "hospital_number": "QXHOSP001",
}
OTHER_FAMILY_MARKERS = {
    "name": "Zebedee-QXOTHER",
    "instructions": "QXOTHER-FAMILY-INSTRUCTION",
    "hotel": "QXOTHER-HOTEL",
}


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hh, mm), ZONE)


@dataclass
class Seed:
    service_id: int
    clinic_id: int
    patient_id: int  # the family under test
    other_patient_id: int  # another attending family
    declined_patient_id: int  # invited, declined
    appointment_ids: list[int] = field(default_factory=list)
    room_id: int = 0
    professional_ids: list[int] = field(default_factory=list)


def add_professional(session: Session, given: str, family: str, discipline: str, title: str = "Dr") -> Professional:
    professional = Professional(
        title=title,
        given_name=given,
        family_name=family,
        discipline=discipline,
        organisation=SECRET_MARKERS["staff_org"],
        phone=SECRET_MARKERS["staff_phone"],
        email=SECRET_MARKERS["staff_email"],
    )
    session.add(professional)
    session.flush()
    return professional


def add_patient(session: Session, given: str, family: str, *, large_print: bool = False) -> Patient:
    patient = Patient(
        nhs_number=fictional_nhs_number(),
        hospital_number=SECRET_MARKERS["hospital_number"] if given == "Ava" else "H-FICT-2",
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(2012, 5, 17),
        condition="Alström syndrome",
        registered_on=dt.date(2020, 1, 1),
        internal_notes=SECRET_MARKERS["patient_internal"],
        large_print=large_print,
    )
    session.add(patient)
    session.flush()
    session.add(
        Contact(
            patient_id=patient.id,
            name=f"Parent of {given}",
            phone=SECRET_MARKERS["contact_phone"],
            email=SECRET_MARKERS["contact_email"],
        )
    )
    return patient


def add_appointment(
    session: Session,
    clinic: ClinicEvent,
    patient: Patient,
    discipline: str,
    start: dt.datetime,
    minutes: int,
    professionals: list[Professional],
    room: Room | None,
    **extra: object,
) -> Appointment:
    appointment = Appointment(
        uid=f"appt-{clinic.id}-{patient.id}-{discipline.lower().replace(' ', '-')}-{start:%Y%m%dT%H%M}@test.invalid",
        clinic_event_id=clinic.id,
        patient_id=patient.id,
        discipline=discipline,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        room_id=room.id if room else None,
        internal_notes=SECRET_MARKERS["appointment_internal"],
        **extra,
    )
    session.add(appointment)
    session.flush()
    for professional in professionals:
        session.add(AppointmentProfessional(appointment_id=appointment.id, professional_id=professional.id))
    session.flush()
    return appointment


def seed_clinic(
    session: Session,
    start: dt.date = dt.date(2027, 3, 29),
    *,
    clinic_name: str = "Combined clinic",
    patient_given: str = "Ava",
    patient_family: str = "Testperson",
) -> Seed:
    """A two-day clinic: the family under test (travel, hotel, 8 appointments incl. a cancelled and a proposed
    one, a break and a lunch gap), another attending family, and a family that declined."""
    service = Service(name="Fictional Rare Disease Service", timezone=ZONE)
    session.add(service)
    session.flush()
    clinic = ClinicEvent(
        service_id=service.id,
        name=clinic_name,
        venue="Example Children's Hospital",
        start_date=start,
        days=2,
        status=ClinicStatus.CONFIRMED,
    )
    session.add(clinic)
    session.flush()
    eye = clinic_room(session, clinic, "Room 3", "Eye Block")
    main = clinic_room(session, clinic, "Seminar room", "Main building")
    eyes = add_professional(session, "Nora", "Fictional", "Ophthalmology")
    ears = add_professional(session, "Olu", "Madeup", "Audiology", title="")
    heart = add_professional(session, "Priya", "Placeholder", "Cardiology")
    dietetics = add_professional(session, "Quinn", "Sample", "Dietetics", title="Ms")

    patient = add_patient(session, patient_given, patient_family)
    other = add_patient(session, OTHER_FAMILY_MARKERS["name"], "Otherfamily")
    declined = add_patient(session, "Dora", "Declined")

    day1, day2 = start, start + dt.timedelta(days=1)
    session.add(
        ClinicAttendance(
            clinic_event_id=clinic.id,
            patient_id=patient.id,
            status=AttendanceStatus.CONFIRMED,
            travel_out_mode="train",
            travel_out_depart=local(day1, 6, 45),
            travel_out_arrive=local(day1, 9, 5),
            travel_out_reference="TRN-OUT-1",
            travel_home_mode="train",
            travel_home_depart=local(day2, 14, 30),
            travel_home_arrive=local(day2, 17, 0),
            travel_home_reference="TRN-HOME-1",
            hotel_name="Fictional Lodge",
            hotel_address="1 Imaginary Road, Nowhere NW1 0AA",
            hotel_phone="0300 000 0000",
            hotel_check_in=day1,
            hotel_nights=1,
            hotel_reference="HTL-42",
            family_instructions="Please bring the red book.",
            internal_notes=SECRET_MARKERS["attendance_internal"],
        )
    )
    session.add(
        ClinicAttendance(
            clinic_event_id=clinic.id,
            patient_id=other.id,
            status=AttendanceStatus.CONFIRMED,  # families who confirmed get an itinerary
            hotel_name=OTHER_FAMILY_MARKERS["hotel"],
            hotel_check_in=day1,
            hotel_nights=1,
            family_instructions=OTHER_FAMILY_MARKERS["instructions"],
            internal_notes=SECRET_MARKERS["attendance_internal"],
        )
    )
    session.add(ClinicAttendance(clinic_event_id=clinic.id, patient_id=declined.id, status=AttendanceStatus.DECLINED))
    session.flush()

    appts = [
        add_appointment(
            session, clinic, patient, "Ophthalmology", local(day1, 9, 30), 45, [eyes], eye,
            fasting=True, family_instructions="Bring your glasses; nothing to eat after midnight.",
        ),
        add_appointment(session, clinic, patient, "Audiology", local(day1, 10, 15), 30, [ears], eye),
        # 10:45 -> 11:30: a 45-minute break
        add_appointment(session, clinic, patient, "Cardiology", local(day1, 11, 30), 30, [heart], main),
        # 12:00 -> 13:00: lunch
        add_appointment(session, clinic, patient, "Dietetics", local(day1, 13, 0), 45, [dietetics], main),
        add_appointment(
            session, clinic, patient, "Physiotherapy", local(day1, 14, 0), 30, [], main,
            status=AppointmentStatus.CANCELLED,
        ),
        add_appointment(
            session, clinic, patient, "Psychology", local(day1, 15, 0), 30, [], main,
            status=AppointmentStatus.PROPOSED,
        ),
        add_appointment(session, clinic, patient, "Endocrinology", local(day2, 9, 0), 30, [heart], main),
        add_appointment(
            session, clinic, patient, "Team meeting", local(day2, 11, 0), 60, [eyes, ears, heart], main,
            kind=AppointmentKind.ROUND_TABLE, family_instructions="The whole team, the family and the charity.",
        ),
    ]  # fmt: skip
    add_appointment(
        session,
        clinic,
        other,
        "Ophthalmology",
        local(day1, 10, 45),
        30,
        [eyes],
        eye,
        family_instructions=OTHER_FAMILY_MARKERS["instructions"],
    )
    session.flush()
    assert service.id and clinic.id and patient.id and other.id and declined.id
    return Seed(
        service_id=service.id,
        clinic_id=clinic.id,
        patient_id=patient.id,
        other_patient_id=other.id,
        declined_patient_id=declined.id,
        appointment_ids=[a.id for a in appts if a.id is not None],
        room_id=eye.id or 0,
        professional_ids=[p.id for p in (eyes, ears, heart, dietetics) if p.id is not None],
    )


def seed_simple_clinic(session: Session, start: dt.date, times: list[tuple[int, int, int]]) -> tuple[int, int]:
    """A clinic with one family and appointments at (day index, hour, minute) local times, 30 minutes each."""
    service = Service(name="Fictional Service", timezone=ZONE)
    session.add(service)
    session.flush()
    clinic = ClinicEvent(service_id=service.id, name="Clock-change clinic", start_date=start, days=2)
    session.add(clinic)
    session.flush()
    room = clinic_room(session, clinic, "Room 1", "Main")
    patient = add_patient(session, "Ben", "Clockchange")
    session.add(
        ClinicAttendance(
            clinic_event_id=clinic.id,
            patient_id=patient.id,
            status=AttendanceStatus.CONFIRMED,
            travel_out_mode="car",
            travel_out_depart=local(start - dt.timedelta(days=1), 16, 0),
            travel_out_arrive=local(start - dt.timedelta(days=1), 19, 30),
        )
    )
    for day_index, hh, mm in times:
        day = start + dt.timedelta(days=day_index)
        name = f"Discipline {day_index}-{hh:02d}{mm:02d}"
        add_appointment(session, clinic, patient, name, local(day, hh, mm), 30, [], room)
    session.flush()
    assert clinic.id and patient.id
    return clinic.id, patient.id


#: Unique markers planted where a lock screen must never show them (discreet titles): the child's names, the
#: condition (the patient's, and in the service's and the clinic's names, where coordinators often put it), a
#: discipline, a professional's name and a room named after a specialty's clinic.
PLANTED = {
    "child_given": "Qxchildgiven",
    "child_family": "Qxchildfamily",
    "condition": "QXCONDITION",
    "discipline": "QXDISCIPLINE",
    "professional": "QXPROFESSIONAL",
    "room": "QXROOM",
}


def seed_planted_markers(session: Session) -> Seed:
    """``seed_clinic`` with the ``PLANTED`` markers: the family under test is named with them, the condition is in
    the patient's record and in the service's and the clinic's names, and one more appointment has a discipline,
    a professional and a room carrying markers."""
    seed = seed_clinic(
        session,
        clinic_name=f"{PLANTED['condition']} combined clinic",
        patient_given=PLANTED["child_given"],
        patient_family=PLANTED["child_family"],
    )
    patient = session.get(Patient, seed.patient_id)
    service = session.get(Service, seed.service_id)
    clinic = session.get(ClinicEvent, seed.clinic_id)
    assert patient is not None and service is not None and clinic is not None
    patient.condition = f"{PLANTED['condition']} syndrome"
    service.name = f"National {PLANTED['condition']} Service"
    service.phone = "0121 496 0000"
    session.add_all([patient, service])
    room = clinic_room(session, clinic, f"{PLANTED['room']} Eye Clinic", "Children's Building")
    professional = add_professional(session, "Rhea", PLANTED["professional"], "Genetics")
    add_appointment(
        session, clinic, patient, PLANTED["discipline"], local(clinic.start_date + dt.timedelta(days=1), 10, 0), 30,
        [professional], room, family_instructions="Bring the letter.",
    )  # fmt: skip
    session.flush()
    return seed


def hostile_itinerary(name: str, text: str, place: str, *, detailed_titles: bool = True) -> Itinerary:
    """An in-memory itinerary (no database) with ``name``, ``text`` and ``place`` in every text field (detailed
    titles by default, so the text reaches every calendar title too)."""
    start = dt.datetime(2027, 3, 28, 9, 0, tzinfo=ZoneInfo(ZONE))
    return Itinerary(
        patient_id=1,
        clinic_id=1,
        given_name=name,
        family_name=name,
        clinic_name=place,
        venue=text,
        service_name="S",
        service_short_name=place,
        service_phone="0121 496 0000",
        what_to_bring=(text, name),
        detailed_titles=detailed_titles,
        timezone="Europe/London",
        dates=(dt.date(2027, 3, 28), dt.date(2027, 3, 29)),
        items=(
            ItineraryItem(
                kind=ItemKind.APPOINTMENT,
                day=start.date(),
                title=text or "x",
                start=start,
                end=start + dt.timedelta(minutes=30),
                uid="u1@test.invalid",
                discipline=name,
                professionals=(name, text),
                room=place,
                building=text,
                instructions=text,
            ),
            ItineraryItem(
                kind=ItemKind.HOTEL_CHECK_IN,
                day=start.date(),
                title="Hotel check-in",
                start=start.replace(hour=15),
                end=start.replace(hour=15),
                uid="u2@test.invalid",
                place=place,
                address=text,
                phone=name[:20],
                reference=text,
            ),
        ),
    )
