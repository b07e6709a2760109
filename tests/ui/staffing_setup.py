"""A set-up service for the Staffing screen's tests (Pilot and snapshots), made with the services a user's keys
reach: a venue with three rooms in two buildings, four professionals (one archived after working the January
clinic's day 2), two clinics (January and March, two days each) and, in March, one invited family needing
endocrinology."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coordinator_tui.db import Database
from coordinator_tui.models import ClinicAttendance, Patient
from coordinator_tui.services.clinics import clinic_planning, clinics, staffing, venues
from coordinator_tui.services.people import professionals
from coordinator_tui.services.safety.records import create_record

JANUARY = dt.date(2027, 1, 11)
MARCH = dt.date(2027, 3, 8)
#: The venue's rooms in the order the room list offers them (building, then name).
ROOMS = ["Eye Clinic, Children's Building", "Room 1, Outpatients", "Room 2, Outpatients"]


@dataclass
class Staffed:
    january: int
    march: int
    quinn: int  # Dr Quinn Gooseberry, cardiology
    ada: int  # Dr Ada Endoexample, endocrinology
    una: int  # Ms Una Eyeexample, ophthalmology
    archie: int  # Mr Archie Renalexample, renal (archived)
    rooms: dict[str, int]


def set_up(db: Database, *, archie_worked_january: bool = True) -> Staffed:
    with db.session() as s:
        venue = venues.add_venue(s, {"name": "Exampleton Children's Hospital"})
        assert venue.id is not None
        rooms = {}
        for label in ROOMS:
            name, building = label.split(", ")
            room = venues.add_room(s, venue.id, {"name": name, "building": building})
            rooms[label] = int(room.id)  # type: ignore[arg-type]
        people = {}
        for title, given, family, discipline in [
            ("Dr", "Quinn", "Gooseberry", "cardiology"),
            ("Dr", "Ada", "Endoexample", "endocrinology"),
            ("Ms", "Una", "Eyeexample", "ophthalmology"),
            ("Mr", "Archie", "Renalexample", "renal"),
        ]:
            values = {"title": title, "given_name": given, "family_name": family, "discipline": discipline}
            people[given] = int(professionals.create_professional(s, values).id)  # type: ignore[arg-type]
        made = [
            clinics.create_clinic_event(s, {"name": name, "start_date": start, "days": 2, "venue_id": venue.id})
            for name, start in (("January clinic", JANUARY), ("March clinic", MARCH))
        ]
        january, march = (int(c.id) for c in made)  # type: ignore[arg-type]
        if archie_worked_january:
            staffing.set_staff_day(
                s, january, people["Archie"], JANUARY + dt.timedelta(days=1), dt.time(9), dt.time(12)
            )
            professionals.archive_professional(s, people["Archie"], end_memberships=True)
        patient = create_record(
            s,
            Patient(
                nhs_number="9990000201",
                hospital_number="TEST0201",
                given_name="Testpatient0",
                family_name="Example",
                date_of_birth=dt.date(2012, 3, 1),
                registered_on=dt.date(2020, 1, 1),
            ),
        )
        assert patient.id is not None
        clinic_planning.set_need(s, patient.id, "endocrinology", minutes=30)
        create_record(s, ClinicAttendance(clinic_event_id=march, patient_id=patient.id))
    return Staffed(january, march, people["Quinn"], people["Ada"], people["Una"], people["Archie"], rooms)
