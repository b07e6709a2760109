"""A clinic with families due for review, for the invitation tests (domain, command line, screens).

The clinic (Monday 11/01/2027, two days) has one endocrinologist staffed 09:00-12:00 on day 1: 180 minutes. Every
patient needs endocrinology only, 60 minutes, so three families fit and a fourth does not. By the day they are due:

- Bramble (never attended, registered 01/02/2026)
- Damson (never attended, registered 01/03/2026)
- Cherry (last attended 08/06/2026, review every 6 months: due 08/12/2026)
- Apple (last attended 15/12/2025, review every 12 months: due 15/12/2026): due, but does not fit
- Elder (last attended 02/11/2026, review every 12 months): not due
All fictional ("Testpatient... Example" style names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from coordinator_tui.models import (
    AttendanceStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStaffing,
    Patient,
    PatientDisciplineNeed,
    Professional,
)
from coordinator_tui.services.clinics import clinics
from coordinator_tui.services.safety.records import create_record
from coordinator_tui.services.service_details import get_service
from tests.export_data import fictional_nhs_number

CLINIC_START = dt.date(2027, 1, 11)


@dataclass
class DueWorld:
    clinic_id: int
    patients: dict[str, int] = field(default_factory=dict)  # family name -> patient id


def _patient(session: Session, family: str, registered: dt.date, months: int = 12) -> Patient:
    patient = create_record(
        session,
        Patient(
            nhs_number=fictional_nhs_number(),
            hospital_number=f"H-FICT-{family.upper()}",
            given_name="Testpatient",
            family_name=family,
            date_of_birth=dt.date(2010, 4, 1),
            registered_on=registered,
            review_interval_months=months,
        ),
    )
    assert patient.id is not None
    create_record(session, PatientDisciplineNeed(patient_id=patient.id, discipline="endocrinology", minutes=60))
    return patient


def _attended(session: Session, service_id: int, patient_id: int, day: dt.date) -> None:
    past = create_record(
        session, ClinicEvent(service_id=service_id, name=f"Past clinic {day:%d/%m/%Y}", start_date=day)
    )
    assert past.id is not None
    create_record(
        session, ClinicAttendance(clinic_event_id=past.id, patient_id=patient_id, status=AttendanceStatus.ATTENDED)
    )


def due_world(session: Session) -> DueWorld:
    service = get_service(session)
    assert service.id is not None
    clinic = clinics.create_clinic_event(
        session,
        {
            "name": "Combined clinic 11/01/2027",
            "start_date": CLINIC_START,
            "days": 2,
            "day_start": dt.time(9, 0),
            "day_end": dt.time(17, 0),
        },
    )
    assert clinic.id is not None
    doctor = create_record(
        session,
        Professional(title="Dr", given_name="Quinn", family_name="Gooseberry", discipline="endocrinology"),
    )
    assert doctor.id is not None
    create_record(
        session,
        ClinicStaffing(
            clinic_event_id=clinic.id,
            professional_id=doctor.id,
            day=CLINIC_START,
            start_time=dt.time(9, 0),
            end_time=dt.time(12, 0),
        ),
    )
    world = DueWorld(clinic.id)
    for family, registered, months, attended in (
        ("Apple", dt.date(2020, 1, 6), 12, dt.date(2025, 12, 15)),
        ("Bramble", dt.date(2026, 2, 1), 12, None),
        ("Cherry", dt.date(2019, 5, 1), 6, dt.date(2026, 6, 8)),
        ("Damson", dt.date(2026, 3, 1), 12, None),
        ("Elder", dt.date(2018, 9, 3), 12, dt.date(2026, 11, 2)),
    ):
        patient = _patient(session, family, registered, months)
        assert patient.id is not None
        world.patients[family] = patient.id
        if attended is not None:
            _attended(session, service.id, patient.id, attended)
    return world
