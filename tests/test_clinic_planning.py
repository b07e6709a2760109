"""Clinic planning: due invitees within capacity, needs, and the build-review-apply round trip (staffing and its
copy from the previous clinic: tests/test_staffing.py)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.models import (
    Appointment,
    AppointmentProfessional,
    AppointmentStatus,
    AttendanceStatus,
    AuditEvent,
    ClinicAttendance,
    ClinicEvent,
    ClinicStaffing,
    Patient,
)
from coordinator_tui.services.clinics import clinic_planning as cp
from coordinator_tui.services.clinics import scheduling as sch
from coordinator_tui.services.clinics.timetable_checker import check_timetable
from coordinator_tui.services.clinics.timetable_plan import ChangeKind
from coordinator_tui.services.safety.records import create_record, update_record
from tests.postgres_server import both_databases
from tests.scheduling_fixtures import make_clinic

pytestmark = both_databases

LIMIT = 2.0


def _build(session: Session, clinic_id: int, *, repair: bool = False) -> tuple[sch.Instance, sch.ScheduleResult]:
    """Load then solve, in the test's own (uncommitted) session; the app reads in a read session instead."""
    instance = cp.load_instance(session, clinic_id)
    return instance, cp.solve_instance(instance, time_limit=LIMIT, repair=repair, deterministic=True)


def test_discipline_defaults_from_data() -> None:
    table = cp.discipline_defaults()
    assert table["audiology"].minutes == 45
    assert table["ophthalmology"].minutes == 45
    assert table["phlebotomy"].fasting and table["phlebotomy"].minutes == 15
    assert cp.canonical_discipline("Liver") == "hepatology"


def test_needs_from_care_team_plus_defaults_and_editable(session: Session) -> None:
    rows = make_clinic(session, n_patients=1)
    pid = rows.patients[0].id
    assert pid is not None
    needs = {n.discipline: n for n in cp.needs_for_patient(session, pid)}
    assert {"ophthalmology", "audiology", "cardiology", "endocrinology", "phlebotomy"} <= set(needs)
    assert needs["audiology"].minutes == 45 and needs["audiology"].source == "care team"
    assert needs["phlebotomy"].source == "default"
    cp.set_need(session, pid, "audiology", minutes=60)
    cp.set_need(session, pid, "cardiology", needed=False)
    stored = {n.discipline: n for n in cp.needs_for_patient(session, pid)}
    assert stored["audiology"].minutes == 60
    assert not stored["cardiology"].needed


def test_load_instance_reads_travel_and_age(session: Session) -> None:
    rows = make_clinic(session, n_patients=2)
    inst = cp.load_instance(session, rows.clinic.id)  # type: ignore[arg-type]
    first, second = (inst.patients[p.id] for p in rows.patients)  # type: ignore[index]
    assert first.is_child and not second.is_child
    assert first.arrival == 10 * 60 + 30 and first.departure == 16 * 60
    assert {r.discipline for r in inst.requests if r.patient_id == rows.patients[0].id} >= {"phlebotomy", "audiology"}
    bloods = next(r for r in inst.requests if r.discipline == "phlebotomy")
    assert bloods.fasting and bloods.professional_ids == (rows.professionals["phlebotomy"].id,)


def test_build_review_apply_then_repair(session: Session) -> None:
    rows = make_clinic(session, n_patients=3)
    clinic_id = rows.clinic.id
    assert clinic_id is not None
    instance, result = _build(session, clinic_id)
    assert result.status in ("optimal", "feasible") and not result.unscheduled
    assert check_timetable(instance, result.scheduled) == []
    assert session.exec(select(Appointment)).all() == []  # review first: nothing written yet
    report = cp.apply_solution(session, clinic_id, instance, result)
    assert report.count(ChangeKind.NEW) == len(result.scheduled)
    appts = session.exec(select(Appointment)).all()
    assert len(appts) == len(result.scheduled)
    assert all(a.start.tzinfo is not None for a in appts)
    assert len(session.exec(select(AppointmentProfessional)).all()) == len(appts)
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "appointment")).all()

    # Pin one, then the cardiologist cancels day 2: repair keeps the pinned one and moves few.
    pinned = next(a for a in appts if a.discipline == "ophthalmology")
    update_record(session, Appointment, pinned.id, {"pinned": True})
    cardiology = rows.professionals["cardiology"].id
    day2 = rows.clinic.dates[1]
    for s in session.exec(select(ClinicStaffing).where(ClinicStaffing.professional_id == cardiology)).all():
        if s.day == day2:
            session.delete(s)
    session.flush()
    instance2, fixed = _build(session, clinic_id, repair=True)
    assert check_timetable(instance2, fixed.scheduled) == []
    assert len(fixed.moves) < len(appts)
    before = (pinned.start, pinned.end)
    report2 = cp.apply_solution(session, clinic_id, instance2, fixed)
    assert report2.count(ChangeKind.NEW) == 0
    session.refresh(pinned)
    assert (pinned.start, pinned.end) == before
    live = session.exec(select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)).all()
    day2_start = local_to_utc(day2, dt.time(0, 0))
    for a in live:
        links = session.exec(select(AppointmentProfessional).where(AppointmentProfessional.appointment_id == a.id))
        if any(link.professional_id == cardiology for link in links):
            assert a.start < day2_start


def test_due_patients_and_invites_within_capacity(session: Session) -> None:
    rows = make_clinic(session, n_patients=0)
    clinic_id = rows.clinic.id
    assert clinic_id is not None
    earlier = create_record(
        session,
        ClinicEvent(service_id=rows.service.id, name="Earlier", start_date=dt.date(2026, 3, 9)),  # type: ignore[arg-type]
    )
    patients = []
    for k in range(14):
        p = create_record(
            session,
            Patient(
                nhs_number=f"99911100{k:02d}",
                hospital_number=f"DUE{k}",
                given_name=f"Duepatient{k}",
                family_name="Example",
                date_of_birth=dt.date(2010, 1, 1),
                registered_on=dt.date(2020, 1, 1),
            ),
        )
        patients.append(p)
        cp.set_need(session, p.id, "audiology", minutes=90)  # type: ignore[arg-type]
    # One patient attended last March with a yearly review: not due in January 2027.
    create_record(
        session,
        ClinicAttendance(clinic_event_id=earlier.id, patient_id=patients[0].id, status=AttendanceStatus.ATTENDED),  # type: ignore[arg-type]
    )
    due = cp.due_patients(session, clinic_id)
    due_ids = {d.patient_id for d in due}
    assert patients[0].id not in due_ids
    assert {p.id for p in patients[1:]} <= due_ids
    capacity = cp.available_minutes(session, clinic_id)
    assert capacity["audiology"] == 2 * (8 * 60 - 30)
    proposal = cp.propose_invitees(session, clinic_id)
    used = sum(90 for d in proposal.invite if d.patient_id in {p.id for p in patients})
    assert used <= capacity["audiology"]
    assert proposal.left_out and "audiology has" in proposal.left_out[0][1]


def test_applying_a_stale_plan_is_refused(session: Session) -> None:
    import pytest

    from coordinator_tui.services.errors import ConcurrentEditError

    rows = make_clinic(session, n_patients=2)
    clinic_id = rows.clinic.id
    assert clinic_id is not None
    instance, result = _build(session, clinic_id)
    cp.apply_solution(session, clinic_id, instance, result)
    plan_instance, plan = _build(session, clinic_id)  # built, not yet applied
    # Meanwhile a colleague moves one appointment by 3 minutes (off the plan's 5-minute grid, so the plan
    # necessarily puts it somewhere else and has to write it).
    appointment = session.exec(select(Appointment).order_by(col(Appointment.id))).first()
    assert appointment is not None
    shift = dt.timedelta(minutes=3)
    update_record(
        session, Appointment, appointment.id, {"start": appointment.start + shift, "end": appointment.end + shift}
    )
    with pytest.raises(ConcurrentEditError, match="changed by"):
        cp.apply_solution(session, clinic_id, plan_instance, plan)
