"""Small, fictional clinic instances shared by the scheduling tests (plain dataclasses and database rows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.models import (
    CareTeamMember,
    ClinicAttendance,
    ClinicEvent,
    ClinicStaffing,
    Patient,
    Professional,
    Room,
    Service,
)
from coordinator_tui.services.clinics.scheduling import (
    Instance,
    PatientSpec,
    Placement,
    ProfessionalSpec,
    Request,
    RoomSpec,
    StaffDay,
)
from coordinator_tui.services.safety.records import create_record
from tests.venue_helpers import clinic_room

H = 60


def small_instance(*, round_table: bool = True, pinned: Placement | None = None) -> Instance:
    """Three families, six professionals, two buildings; fasting bloods, a joint appointment, a child."""
    disciplines = ["phlebotomy", "ophthalmology", "audiology", "cardiology", "endocrinology", "transition"]
    buildings = ["Main", "Eye and Ear", "Eye and Ear", "Main", "Main", "Main"]
    professionals = {i: ProfessionalSpec(i, f"Clinician {i}", d) for i, d in enumerate(disciplines, start=1)}
    rooms = {i: RoomSpec(i, f"Room {i}", b) for i, b in enumerate(buildings, start=1)}
    staffing = [StaffDay(i, d, 9 * H, 17 * H, room_id=i) for i in professionals for d in (0, 1)]
    staffing = [s for s in staffing if not (s.professional_id == 4 and s.day == 1)]  # cardiology: day 1 only
    staffing.append(StaffDay(4, 1, 9 * H, 12 * H, room_id=4))  # ...and a morning on day 2
    patients = {
        1: PatientSpec(1, "Test Child One", is_child=True, arrival=10 * H + 30, departure=15 * H),
        2: PatientSpec(2, "Test Adult Two", is_child=False, arrival=9 * H + 30, departure=16 * H),
        3: PatientSpec(3, "Test Adult Three", is_child=False, arrival=11 * H, departure=14 * H + 30),
    }
    minutes = {1: 15, 2: 45, 3: 45, 4: 30, 5: 30, 6: 30}
    requests: list[Request] = []
    for p in patients:
        for i in (1, 2, 3, 4, 5):
            requests.append(
                Request(
                    key=f"p{p}-{disciplines[i - 1]}",
                    patient_id=p,
                    discipline=disciplines[i - 1],
                    minutes=minutes[i],
                    professional_ids=(i,),
                    kind="test" if i == 1 else "consultation",
                    fasting=i == 1,
                    pinned=pinned if (p == 2 and i == 4) else None,
                )
            )
        if round_table:
            requests.append(Request(f"p{p}-round", p, "round table", 30, (), kind="round_table"))
    # A joint transition appointment: endocrinology with the transition nurse at once.
    requests.append(Request("p2-joint", 2, "transition", 30, (5, 6), kind="joint"))
    return Instance(
        professionals=professionals,
        staffing=staffing,
        rooms=rooms,
        patients=patients,
        requests=requests,
        round_table=round_table,
        transfer_minutes=10,
    )


def generated_clinic(n_families: int, seed: int = 1) -> Instance:
    """A generated two-day clinic (fictional families): eight professionals in two buildings, each family needing
    five to eight of them; fasting bloods first on day 1 for most; arrivals 09:30-11:00, departures 14:30-16:30;
    half the families children; two professionals leave at 13:00 on day 2."""
    import random

    rng = random.Random(seed * 1000 + n_families)
    # (discipline, minutes, building, fasting)
    disciplines = [
        ("phlebotomy", 15, "Main", True),
        ("ophthalmology", 45, "Eye and Ear", False),
        ("audiology", 45, "Eye and Ear", False),
        ("cardiology", 30, "Main", False),
        ("renal", 30, "Main", False),
        ("psychology", 45, "Main", False),
        ("genetics", 20, "Main", False),
        ("social work", 15, "Main", False),
    ]
    professionals = {i: ProfessionalSpec(i, f"Clinician {i}", d) for i, (d, _m, _b, _f) in enumerate(disciplines, 1)}
    rooms = {i: RoomSpec(i, f"Room {i}", b) for i, (_d, _m, b, _f) in enumerate(disciplines, 1)}
    staffing = [
        StaffDay(i, day, 9 * H, 13 * H if (i in (7, 8) and day == 1) else 17 * H, room_id=i)
        for i in professionals
        for day in (0, 1)
    ]
    patients: dict[int, PatientSpec] = {}
    requests: list[Request] = []
    for p in range(1, n_families + 1):
        patients[p] = PatientSpec(
            p,
            f"Test Family {p}",
            is_child=p % 2 == 0,
            arrival=rng.choice([570, 600, 630, 660]),
            departure=rng.choice([870, 900, 930, 960, 990]),
        )
        for i in sorted(rng.sample(range(1, len(disciplines) + 1), rng.randint(5, 8))):
            disc, minutes, _b, fasting = disciplines[i - 1]
            requests.append(
                Request(
                    f"p{p}-{disc}",
                    p,
                    disc,
                    minutes,
                    (i,),
                    kind="test" if fasting else "consultation",
                    fasting=fasting,
                )
            )
    return Instance(professionals, staffing, rooms, patients, requests, transfer_minutes=10)


# ------------------------------------------------------------------------------------------------------------
# Database clinic
# ------------------------------------------------------------------------------------------------------------


@dataclass
class ClinicRows:
    service: Service
    clinic: ClinicEvent
    professionals: dict[str, Professional] = field(default_factory=dict)
    patients: list[Patient] = field(default_factory=list)
    rooms: dict[str, Room] = field(default_factory=dict)


CLINIC_DISCIPLINES = {
    "phlebotomy": "Main",
    "ophthalmology": "Eye and Ear",
    "audiology": "Eye and Ear",
    "cardiology": "Main",
    "endocrinology": "Main",
    "specialist nursing": "Main",
}


def make_clinic(
    session: Session,
    *,
    start: dt.date = dt.date(2027, 1, 11),
    n_patients: int = 3,
    round_table: bool = False,
    staffing: bool = True,
) -> ClinicRows:
    service = create_record(session, Service(name="Test Rare Disease Service", uses_round_table=round_table))
    assert service.id is not None
    clinic = create_record(
        session, ClinicEvent(service_id=service.id, name="Test clinic", venue="Test Hospital", start_date=start)
    )
    assert clinic.id is not None
    rows = ClinicRows(service, clinic)
    for i, (disc, building) in enumerate(CLINIC_DISCIPLINES.items(), start=1):
        prof = create_record(
            session, Professional(title="Dr", given_name="Test", family_name=f"Clinician{i}", discipline=disc)
        )
        room = clinic_room(session, clinic, f"Room {i}", building)
        rows.professionals[disc] = prof
        rows.rooms[disc] = room
        if staffing:
            for day in clinic.dates:
                create_record(
                    session,
                    ClinicStaffing(
                        clinic_event_id=clinic.id,
                        professional_id=prof.id,  # type: ignore[arg-type]
                        day=day,
                        start_time=dt.time(9, 0),
                        end_time=dt.time(17, 0),
                        room_id=room.id,
                    ),
                )
    for k in range(n_patients):
        patient = create_record(
            session,
            Patient(
                nhs_number=f"99900000{k:02d}",
                hospital_number=f"TEST{k:04d}",
                given_name=f"Testpatient{k}",
                family_name="Example",
                date_of_birth=dt.date(2012 if k % 2 == 0 else 1995, 3, 1),
                registered_on=dt.date(2020, 1, 1),
            ),
        )
        rows.patients.append(patient)
        for disc in ("ophthalmology", "audiology", "cardiology", "endocrinology"):
            create_record(
                session,
                CareTeamMember(
                    patient_id=patient.id,  # type: ignore[arg-type]
                    professional_id=rows.professionals[disc].id,  # type: ignore[arg-type]
                    start_date=dt.date(2021, 1, 1),
                ),
            )
        create_record(
            session,
            ClinicAttendance(
                clinic_event_id=clinic.id,
                patient_id=patient.id,  # type: ignore[arg-type]
                travel_out_arrive=local_to_utc(start, dt.time(10, 30)),
                travel_home_depart=local_to_utc(clinic.end_date, dt.time(16, 0)),
            ),
        )
    return rows
