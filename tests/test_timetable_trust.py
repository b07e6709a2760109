"""Timetables the nurse can trust: what a build or a repair writes to the database keeps every rule, a repair moves
only what breaks a rule (and says which), and the review, the command and the apply give one set of figures.

The clash check here reads the clinic's appointments straight from the database (not through ``load_instance``,
which a bug could make blind to an appointment): any two booked appointments of one family, one professional or
one room that overlap by a minute or more are a clash. Solves use CP-SAT's deterministic time with fixed seeds,
so they give the same answer however busy the machine is.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from coordinator_tui import clock
from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.db import Database, open_database
from coordinator_tui.models import (
    Appointment,
    AppointmentProfessional,
    AppointmentStatus,
    AttendanceStatus,
    ClinicAttendance,
    ClinicStaffing,
)
from coordinator_tui.services.clinics import appointments as appointment_service
from coordinator_tui.services.clinics import clinic_planning as cp
from coordinator_tui.services.clinics import scheduling as sch
from coordinator_tui.services.clinics import timetable_build
from coordinator_tui.services.clinics.timetable_checker import check_timetable
from coordinator_tui.services.clinics.timetable_plan import ChangeKind, TimetablePlan, current_items, plan_changes
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import delete_record, update_record
from tests.conftest import FIXED_NOW, copy_database
from tests.scheduling_fixtures import make_clinic

BUILD_LIMIT = 0.5  # CP-SAT deterministic time (about seconds on a quiet machine)
REPAIR_LIMIT = 2.0


def _next_clinic(database: Database) -> int:
    """The demo's next clinic: the one with a booked timetable."""
    with database.read_session() as session:
        clinic_id = session.exec(
            select(Appointment.clinic_event_id)
            .where(Appointment.status == AppointmentStatus.BOOKED)
            .group_by(col(Appointment.clinic_event_id))
            .order_by(func.count().desc())
        ).first()
    assert clinic_id is not None
    return clinic_id


def _open_copy(template: Path, dest: Path) -> tuple[Database, int]:
    database = open_database(str(copy_database(template, dest)), create=False)
    return database, _next_clinic(database)


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Iterator[tuple[Database, int]]:
    """A copy of the demo database as shipped, and its next clinic."""
    database, clinic_id = _open_copy(demo_template, tmp_path / "demo.db")
    yield database, clinic_id
    database.dispose()


@pytest.fixture(scope="module")
def built_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database with its next clinic built and applied (seed 0), once per module."""
    clock.set_fixed_now(FIXED_NOW)
    audit.set_current_user("test-coordinator")
    database, clinic_id = _open_copy(demo_template, tmp_path_factory.mktemp("built") / "built.db")
    try:
        build_and_apply(database, clinic_id)
    finally:
        database.dispose()
        clock.set_fixed_now(None)
        audit.set_current_user(None)
    return Path(str(database.path))


@pytest.fixture
def built(built_template: Path, tmp_path: Path) -> Iterator[tuple[Database, int]]:
    """A copy of the demo database whose next clinic was built and applied."""
    database, clinic_id = _open_copy(built_template, tmp_path / "built.db")
    yield database, clinic_id
    database.dispose()


def database_clashes(database: Database, clinic_id: int) -> list[str]:
    """Every overlap of booked appointments of one family, professional or room, read from the database."""
    with database.read_session() as session:
        booked = session.exec(
            select(Appointment).where(
                Appointment.clinic_event_id == clinic_id, col(Appointment.status).in_(list(cp.ACTIVE_APPOINTMENT))
            )
        ).all()
        ids = [a.id for a in booked]
        links = session.exec(
            select(AppointmentProfessional).where(col(AppointmentProfessional.appointment_id).in_(ids))
        ).all()
    groups: dict[str, list[Appointment]] = defaultdict(list)
    for a in booked:
        groups[f"family {a.patient_id}"].append(a)
        if a.room_id is not None:
            groups[f"room {a.room_id}"].append(a)
    by_id = {a.id: a for a in booked}
    for link in links:
        groups[f"professional {link.professional_id}"].append(by_id[link.appointment_id])
    found = []
    for who, items in groups.items():
        items.sort(key=lambda a: a.start)
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if b.start >= a.end:
                    break
                found.append(f"{who}: appointments {a.id} and {b.id} overlap")
    return found


def booked_versions(database: Database, clinic_id: int) -> dict[int, tuple[int, str]]:
    with database.read_session() as session:
        rows = session.exec(select(Appointment).where(Appointment.clinic_event_id == clinic_id)).all()
        return {a.id: (a.version, a.status.value) for a in rows if a.id is not None}


def build_and_apply(
    database: Database, clinic_id: int, *, seed: int = 0, repair: bool = False
) -> tuple[sch.Instance, sch.ScheduleResult, TimetablePlan, TimetablePlan]:
    """Build (or repair), then apply: the instance, the result, the plan the review shows, and what was applied."""
    instance, result = timetable_build.build_timetable(
        database,
        clinic_id,
        time_limit=REPAIR_LIMIT if repair else BUILD_LIMIT,
        repair=repair,
        seed=seed,
        deterministic=True,
    )
    assert result is not None and result.status in ("optimal", "feasible"), result and result.message
    reviewed = plan_changes(instance, result)
    with database.session() as session:
        applied = cp.apply_solution(session, clinic_id, instance, result)
    return instance, result, reviewed, applied


def reloaded(database: Database, clinic_id: int) -> sch.Instance:
    with database.read_session() as session:
        return cp.load_instance(session, clinic_id)


# ------------------------------------------------------------------------------------------------------------
# Build and apply: clash-free in the database
# ------------------------------------------------------------------------------------------------------------


def test_the_demo_clinic_as_shipped_has_one_deliberate_clash_and_keeps_every_other_rule(
    demo: tuple[Database, int],
) -> None:
    """The demo shows one double-booked cardiologist to fix; everything else it books keeps the timetable's rules
    (lunch, walking time, the day's end, fasting bloods first), so a repair has one thing to do."""
    database, clinic_id = demo
    clashes = database_clashes(database, clinic_id)
    assert clashes and all(c.startswith(("professional", "room")) for c in clashes), clashes
    instance = reloaded(database, clinic_id)
    rules = {v.rule for v in check_timetable(instance, current_items(instance))}
    assert rules <= {"professional_overlap", "room_overlap", "fasting"}, rules


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_build_and_apply_leaves_no_clash_in_the_database(demo: tuple[Database, int], seed: int) -> None:
    """Built and applied with several seeds: no family, professional or room is booked twice at once, existing
    appointments included (the demo has a family with two cardiology appointments, which the plan keeps)."""
    database, clinic_id = demo
    before = booked_versions(database, clinic_id)
    _instance, _result, reviewed, applied = build_and_apply(database, clinic_id, seed=seed)
    assert database_clashes(database, clinic_id) == []
    after = reloaded(database, clinic_id)
    assert check_timetable(after, current_items(after)) == []
    # Every appointment that was booked is in the plan's figures: kept, moved or cancelled (with the reason).
    booked_before = {k for k, (_v, status) in before.items() if status == AppointmentStatus.BOOKED.value}
    in_plan = {c.appointment_id for c in applied.changes if c.appointment_id is not None}
    assert booked_before <= in_plan
    for change in applied.of(ChangeKind.CANCELLED):
        assert change.reason
    # One set of figures: the review's counts are the applied counts, and the database agrees.
    assert reviewed.counts_text() == applied.counts_text()
    now = booked_versions(database, clinic_id)
    changed = {k for k in before if now[k] != before[k]}
    assert changed == {c.appointment_id for c in applied.changes if c.kind in (ChangeKind.MOVED, ChangeKind.CANCELLED)}
    assert len(now) - len(before) == applied.count(ChangeKind.NEW)


def test_appointments_of_a_family_no_longer_coming_are_planned_around(demo: tuple[Database, int]) -> None:
    """A family that declines after being booked keeps its appointments (nothing is cancelled behind the nurse's
    back); the build places everyone else around them, and the review lists them as kept as booked."""
    database, clinic_id = demo
    with database.session() as session:
        attendance = session.exec(
            select(ClinicAttendance).where(
                ClinicAttendance.clinic_event_id == clinic_id,
                col(ClinicAttendance.patient_id).in_(
                    select(Appointment.patient_id).where(Appointment.clinic_event_id == clinic_id)
                ),
            )
        ).first()
        assert attendance is not None
        update_record(session, ClinicAttendance, attendance.id, {"status": AttendanceStatus.DECLINED})
        theirs = session.exec(
            select(Appointment).where(
                Appointment.clinic_event_id == clinic_id, Appointment.patient_id == attendance.patient_id
            )
        ).all()
    _instance, _result, reviewed, _applied = build_and_apply(database, clinic_id)
    kept = {c.key for c in reviewed.of(ChangeKind.KEPT_OUTSIDE)}
    assert kept == {a.uid for a in theirs}
    assert database_clashes(database, clinic_id) == [] or all(
        # the demo's deliberate clash may involve this family: then only their own pair remains
        any(str(a.id) in clash for a in theirs)
        for clash in database_clashes(database, clinic_id)
    )
    assert {a.id: a.version for a in theirs} == {
        k: v for k, (v, _s) in booked_versions(database, clinic_id).items() if k in {a.id for a in theirs}
    }


def test_an_apply_is_refused_when_an_appointment_was_booked_during_the_solve(demo: tuple[Database, int]) -> None:
    """The plan was built on the timetable as read: one booked meanwhile (it would not be planned around) makes
    the whole apply refuse, and nothing is written."""
    database, clinic_id = demo
    instance, result = timetable_build.build_timetable(database, clinic_id, time_limit=0.2, deterministic=True)
    assert result is not None
    first = next(r for r in instance.requests if r.appointment_id is not None)
    with database.session() as session:
        source = session.get(Appointment, first.appointment_id)
        assert source is not None
        appointment_service.book_appointment(
            session,
            clinic_id=clinic_id,
            patient_id=source.patient_id,
            professional_ids=[],
            start=source.start + dt.timedelta(days=1),
            end=source.end + dt.timedelta(days=1),
            discipline="social care",
            allow_clash=True,
        )
    before = booked_versions(database, clinic_id)
    with pytest.raises(ConcurrentEditError), database.session() as session:
        cp.apply_solution(session, clinic_id, instance, result)
    assert booked_versions(database, clinic_id) == before


# ------------------------------------------------------------------------------------------------------------
# Repair: only what breaks a rule moves, and the rule is named
# ------------------------------------------------------------------------------------------------------------


def test_repair_with_nothing_changed_moves_nothing(built: tuple[Database, int]) -> None:
    database, clinic_id = built
    before = booked_versions(database, clinic_id)
    _instance, _result, reviewed, applied = build_and_apply(database, clinic_id, repair=True)
    assert reviewed.breaches == {}
    assert (applied.count(ChangeKind.MOVED), applied.count(ChangeKind.CANCELLED), applied.count(ChangeKind.NEW)) == (
        0,
        0,
        0,
    )
    assert booked_versions(database, clinic_id) == before


def test_repair_of_the_demo_names_the_clash_and_moves_only_what_breaks_a_rule(demo: tuple[Database, int]) -> None:
    database, clinic_id = demo
    _instance, _result, reviewed, applied = build_and_apply(database, clinic_id, repair=True)
    assert reviewed.breaches, "the demo's double-booked cardiologist"
    assert any("booked at the same time" in rule for rule in reviewed.breaches.values())
    moved = {c.key for c in applied.of(ChangeKind.MOVED)}
    assert moved and moved <= set(reviewed.breaches)
    assert applied.of(ChangeKind.CANCELLED) == []
    for change in applied.of(ChangeKind.MOVED):
        assert change.reason == reviewed.breaches[change.key]
    assert database_clashes(database, clinic_id) == []
    assert reviewed.counts_text() == applied.counts_text()


def _cancel_day(database: Database, clinic_id: int, professional_ids: list[int], day: int | None) -> None:
    """These professionals no longer come on clinic day ``day`` (0 or 1; None: on either day)."""
    with database.session() as session:
        clinic = cp._clinic(session, clinic_id)
        query = select(ClinicStaffing).where(
            ClinicStaffing.clinic_event_id == clinic_id, col(ClinicStaffing.professional_id).in_(professional_ids)
        )
        if day is not None:
            query = query.where(ClinicStaffing.day == clinic.dates[day])
        for row in session.exec(query).all():
            delete_record(session, row)


def test_repair_after_a_professionals_day_is_cancelled_moves_only_what_it_must(
    built: tuple[Database, int],
) -> None:
    """On the demo's full timetable: every appointment that moves either broke the rule (the professional is not
    in clinic that day; round-tables get new participants) or made room for one that did, in its family or with
    its professional, and says so; nothing is cancelled; nothing else changes in the database."""
    database, clinic_id = built
    instance = reloaded(database, clinic_id)
    on_day2: dict[int, list[str]] = defaultdict(list)
    for r in instance.requests:
        if r.current is not None and r.current.day == 1 and r.kind != sch.ROUND_TABLE:
            for pid in r.professional_ids:
                on_day2[pid].append(r.key)
    professional_id = min(on_day2, key=lambda pid: (len(on_day2[pid]), pid))
    _cancel_day(database, clinic_id, [professional_id], 1)
    before = booked_versions(database, clinic_id)
    _instance, _result, reviewed, applied = build_and_apply(database, clinic_id, repair=True)
    name = instance.professionals[professional_id].name
    displaced = set(on_day2[professional_id])
    assert displaced <= set(reviewed.breaches)
    for key in displaced:
        assert f"{name} is not in clinic at that time on {instance.day_labels[1]}" in reviewed.breaches[key]
    for change in applied.of(ChangeKind.MOVED):
        assert change.key in reviewed.breaches or change.reason.startswith("moved to make room for"), change
    assert displaced <= {c.key for c in applied.of(ChangeKind.MOVED)}
    assert applied.of(ChangeKind.CANCELLED) == []
    now = booked_versions(database, clinic_id)
    assert {k for k in before if now[k] != before[k]} == {c.appointment_id for c in applied.of(ChangeKind.MOVED)}
    assert database_clashes(database, clinic_id) == []


def test_repair_after_a_professionals_day_is_cancelled_moves_exactly_the_displaced(session: Session) -> None:
    """Where there is room elsewhere, the displaced appointments are all that moves: the proven minimum."""
    rows = make_clinic(session, n_patients=2)
    clinic_id = rows.clinic.id
    assert clinic_id is not None
    instance = cp.load_instance(session, clinic_id)
    result = cp.solve_instance(instance, time_limit=BUILD_LIMIT, deterministic=True)
    cp.apply_solution(session, clinic_id, instance, result)
    cardiology = rows.professionals["cardiology"].id
    day2 = rows.clinic.dates[1]
    booked = cp.load_instance(session, clinic_id)
    displaced = {
        r.key for r in booked.requests if r.current and r.current.day == 1 and cardiology in r.professional_ids
    }
    if not displaced:  # the build put cardiology on day 1: cancel that day instead
        day2 = rows.clinic.dates[0]
        displaced = {r.key for r in booked.requests if r.current and cardiology in r.professional_ids}
    for row in session.exec(
        select(ClinicStaffing).where(ClinicStaffing.professional_id == cardiology, ClinicStaffing.day == day2)
    ).all():
        delete_record(session, row)
    changed = cp.load_instance(session, clinic_id)
    repaired = cp.solve_instance(changed, time_limit=REPAIR_LIMIT, repair=True, deterministic=True)
    plan = plan_changes(changed, repaired)
    assert {c.key for c in plan.of(ChangeKind.MOVED)} == displaced
    assert plan.of(ChangeKind.CANCELLED) == []
    assert all("is not in clinic at that time" in c.reason for c in plan.of(ChangeKind.MOVED))
    assert check_timetable(changed, repaired.scheduled) == []


def test_repair_never_cancels_an_appointment_that_broke_no_rule(built: tuple[Database, int]) -> None:
    """Even when the displaced appointments cannot all be placed (every professional of a discipline gone on
    both days), what is cancelled is only what broke a rule; every other booked appointment is still booked."""
    database, clinic_id = built
    instance = reloaded(database, clinic_id)
    cardiology = [pid for pid, spec in instance.professionals.items() if spec.discipline == "cardiology"]
    _cancel_day(database, clinic_id, cardiology, None)
    _instance, _result, reviewed, applied = build_and_apply(database, clinic_id, repair=True)
    cancelled = applied.of(ChangeKind.CANCELLED)
    assert cancelled, "cardiology has nobody left: its appointments cannot be kept"
    for change in cancelled:
        assert change.key in reviewed.breaches
        assert "is not in clinic" in change.reason
    for change in applied.of(ChangeKind.MOVED):
        assert change.key in reviewed.breaches or change.reason.startswith("moved to make room for")
    assert database_clashes(database, clinic_id) == []


def _one_family(session: Session) -> tuple[int, int, dict[str, int], dt.date]:
    rows = make_clinic(session, n_patients=1)
    assert rows.clinic.id is not None and rows.patients[0].id is not None
    professionals = {d: p.id for d, p in rows.professionals.items() if p.id is not None}
    return rows.clinic.id, rows.patients[0].id, professionals, rows.clinic.start_date


def _book(
    session: Session, clinic_id: int, patient_id: int, professional_id: int, day: dt.date, hhmm: str, minutes: int
) -> Appointment:
    start = local_to_utc(day, dt.time(int(hhmm[:2]), int(hhmm[3:])))
    staffing = session.exec(
        select(ClinicStaffing).where(
            ClinicStaffing.clinic_event_id == clinic_id, ClinicStaffing.professional_id == professional_id
        )
    ).first()
    assert staffing is not None
    from coordinator_tui.models import Professional

    professional = session.get(Professional, professional_id)
    assert professional is not None
    return appointment_service.book_appointment(
        session,
        clinic_id=clinic_id,
        patient_id=patient_id,
        professional_ids=[professional_id],
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        discipline=cp.canonical_discipline(professional.discipline),
        room_id=staffing.room_id,
        allow_clash=True,
    )


def test_repair_names_the_rule_an_existing_timetable_breaks(session: Session) -> None:
    """Booked by hand against the rules (after a child's day ends; no time to walk between buildings; no lunch
    break): repair names the rule and the appointment, moves only those, and the rest stays where it is."""
    clinic_id, patient_id, pros, day1 = _one_family(session)
    day2 = day1 + dt.timedelta(days=1)
    late = _book(session, clinic_id, patient_id, pros["cardiology"], day2, "15:45", 30)  # a child's day ends 16:00
    eyes = _book(session, clinic_id, patient_id, pros["ophthalmology"], day2, "09:00", 45)  # Eye building
    endo = _book(session, clinic_id, patient_id, pros["endocrinology"], day2, "09:45", 30)  # Main: no walk
    ok = _book(session, clinic_id, patient_id, pros["audiology"], day2, "11:00", 45)
    # 12:15-13:45 taken: no 30 free minutes between 12:00 and 14:00 for the family's lunch.
    nurse = _book(session, clinic_id, patient_id, pros["specialist nursing"], day2, "12:15", 45)
    heart = _book(session, clinic_id, patient_id, pros["cardiology"], day2, "13:00", 45)
    instance = cp.load_instance(session, clinic_id)
    result = cp.solve_instance(instance, time_limit=REPAIR_LIMIT, repair=True, deterministic=True)
    plan = plan_changes(instance, result)
    assert "outside the family's hours" in plan.breaches[late.uid]
    assert "child" in plan.breaches[late.uid]
    walk = [uid for uid in (eyes.uid, endo.uid) if "walk between buildings" in plan.breaches.get(uid, "")]
    assert walk == [eyes.uid, endo.uid]
    assert ok.uid not in plan.breaches
    for lunch in (nurse, heart):
        assert "no 30-minute lunch break between 12:00 and 14:00" in plan.breaches[lunch.uid]
        assert "Testpatient0 Example" in plan.breaches[lunch.uid]
    changes = {c.key: c for c in plan.changes}
    assert changes[ok.uid].kind == ChangeKind.UNCHANGED
    assert changes[late.uid].kind == ChangeKind.MOVED
    assert {changes[eyes.uid].kind, changes[endo.uid].kind} & {ChangeKind.MOVED}
    assert plan.of(ChangeKind.CANCELLED) == []
    assert check_timetable(instance, result.scheduled) == []
