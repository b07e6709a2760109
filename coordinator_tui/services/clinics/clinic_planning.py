"""Planning one combined clinic: staffing, invitees, needed disciplines, and the solver round trip.

Public API (the three steps of building a timetable, load -> solve -> apply, are in ``timetable_build``):

- ``discipline_defaults(path=None) -> dict[str, DisciplineDefault]`` from ``data/disciplines.toml``;
  ``canonical_discipline(name)`` maps aliases ("liver" -> "hepatology") (both from ``disciplines``, re-exported).
- Staffing (who attends each day, their hours and room; copying it from the previous clinic) is in ``staffing``.
- ``due_patients(session, clinic_id) -> list[DuePatient]``: who is due (last attended clinic +
  ``review_interval_months``; never seen -> due since registration), most overdue first.
- ``available_minutes(session, clinic_id) -> dict[discipline, minutes]``: professionals' hours less lunch.
- ``propose_invitees(session, clinic_id) -> InviteProposal``: due patients that the professionals' hours can serve
  (per discipline, needed minutes of those already invited plus the proposed ones <= available minutes); the
  rest with the reason.
- ``needs_for_patient(session, patient_id) -> list[Need]`` (stored PatientDisciplineNeed rows, else care team
  disciplines plus the data defaults); ``ensure_needs(session, patient_id)`` stores them;
  ``set_need(session, patient_id, discipline, *, minutes=None, needed=None)`` edits one (audited).
- ``load_instance(session, clinic_id) -> Instance``: the clinic as plain solver dataclasses (the children's and
  adults' day hours and the walking time between buildings from the service's details): invited/confirmed
  patients, their needs and every booked appointment of theirs on the clinic days (pinned and arrived ones fixed,
  the rest ``current``, each keeping its own length and room); the booked appointments of families no longer
  invited or confirmed are ``outside_plan`` (kept as booked, planned around).
- ``solve_instance(instance, *, time_limit=10.0, repair=False, on_solution=None) -> ScheduleResult``: solve (or
  repair) a loaded clinic. It needs no database session, and none should be open while it runs (the solver can
  take minutes; other coordinators must not wait for it).
- ``apply_solution(session, clinic_id, instance, result) -> TimetablePlan``: write ``plan_changes``: create new
  appointments, move changed ones, cancel booked ones the plan could not keep; pinned appointments are never
  touched. Every write goes through ``records`` (audited). Run it in its own short write session after the
  solve: if any booked appointment of the clinic changed, appeared or went since the clinic was read, it is
  refused (ConcurrentEditError) and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from coordinator_tui.clinic_time import local_to_utc, to_local
from coordinator_tui.models import (
    Appointment,
    AppointmentKind,
    AppointmentProfessional,
    AppointmentStatus,
    AttendanceStatus,
    CareTeamMember,
    CareTeamStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStaffing,
    Patient,
    PatientDisciplineNeed,
    Professional,
    Service,
)
from coordinator_tui.services.clinics import scheduling as sch
from coordinator_tui.services.clinics.disciplines import canonical_discipline, default_for, discipline_defaults
from coordinator_tui.services.clinics.timetable_plan import ChangeKind, TimetablePlan, plan_changes, repair_timetable
from coordinator_tui.services.clinics.venues import clinic_rooms, venue_walks
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people.patients import age_on
from coordinator_tui.services.safety.records import create_record, get_or_raise, update_record
from coordinator_tui.services.service_details import ServiceDetails

ROUND_TABLE_DISCIPLINE = "round table"
ACTIVE_APPOINTMENT = (AppointmentStatus.PROPOSED, AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)


# ------------------------------------------------------------------------------------------------------------
# The clinic
# ------------------------------------------------------------------------------------------------------------


def _clinic(session: Session, clinic_id: int) -> ClinicEvent:
    return get_or_raise(session, ClinicEvent, clinic_id)


# ------------------------------------------------------------------------------------------------------------
# Needs per patient
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    discipline: str
    minutes: int
    needed: bool = True
    source: str = "stored"  # stored / care team / default


def _care_team_disciplines(session: Session, patient_id: int) -> list[str]:
    rows = session.exec(
        select(Professional.discipline)
        .join(CareTeamMember, col(CareTeamMember.professional_id) == Professional.id)
        .where(CareTeamMember.patient_id == patient_id, CareTeamMember.status == CareTeamStatus.ACTIVE)
    ).all()
    return sorted({canonical_discipline(d) for d in rows})


def needs_for_patient(session: Session, patient_id: int) -> list[Need]:
    stored = session.exec(select(PatientDisciplineNeed).where(PatientDisciplineNeed.patient_id == patient_id)).all()
    if stored:
        return [Need(canonical_discipline(n.discipline), n.minutes, n.needed, "stored") for n in stored]
    table = discipline_defaults()
    needs: dict[str, Need] = {}
    for name in _care_team_disciplines(session, patient_id):
        d = default_for(name)
        if d.kind != "round_table":
            needs[name] = Need(name, d.minutes, True, "care team")
    for d in table.values():
        if d.default and d.name not in needs:
            needs[d.name] = Need(d.name, d.minutes, True, "default")
    return sorted(needs.values(), key=lambda n: n.discipline)


def ensure_needs(session: Session, patient_id: int) -> list[PatientDisciplineNeed]:
    """Store the derived needs so they can be edited per patient (does nothing when some are stored)."""
    get_or_raise(session, Patient, patient_id)
    existing = session.exec(select(PatientDisciplineNeed).where(PatientDisciplineNeed.patient_id == patient_id)).all()
    if existing:
        return list(existing)
    return [
        create_record(session, PatientDisciplineNeed(patient_id=patient_id, discipline=n.discipline, minutes=n.minutes))
        for n in needs_for_patient(session, patient_id)
    ]


def set_need(
    session: Session, patient_id: int, discipline: str, *, minutes: int | None = None, needed: bool | None = None
) -> PatientDisciplineNeed:
    """Edit (or add) one of a patient's needed disciplines."""
    ensure_needs(session, patient_id)
    name = canonical_discipline(discipline)
    row = session.exec(
        select(PatientDisciplineNeed).where(
            PatientDisciplineNeed.patient_id == patient_id, PatientDisciplineNeed.discipline == name
        )
    ).first()
    if minutes is not None and not 5 <= minutes <= 480:
        raise ValueError("minutes must be between 5 and 480")
    if row is None:
        return create_record(
            session,
            PatientDisciplineNeed(
                patient_id=patient_id,
                discipline=name,
                minutes=minutes or default_for(name).minutes,
                needed=True if needed is None else needed,
            ),
        )
    changes: dict[str, object] = {}
    if minutes is not None:
        changes["minutes"] = minutes
    if needed is not None:
        changes["needed"] = needed
    return update_record(session, PatientDisciplineNeed, row.id, changes)


# ------------------------------------------------------------------------------------------------------------
# Who is due, and capacity
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuePatient:
    patient_id: int
    name: str
    last_attended: dt.date | None
    due_on: dt.date
    review_interval_months: int = 12

    @property
    def reason(self) -> str:
        """Why they are due, in words: 'last attended 14/12/2025, review every 12 months: due 14/12/2026'."""
        if self.last_attended is None:
            return f"never attended (registered {self.due_on:%d/%m/%Y})"
        months = self.review_interval_months
        every = "every month" if months == 1 else f"every {months} months"
        return f"last attended {self.last_attended:%d/%m/%Y}, review {every}: due {self.due_on:%d/%m/%Y}"


def due_patients(session: Session, clinic_id: int) -> list[DuePatient]:
    clinic = _clinic(session, clinic_id)
    last: dict[int, dt.date] = {}
    rows = session.exec(
        select(ClinicAttendance.patient_id, ClinicEvent.start_date)
        .join(ClinicEvent, col(ClinicEvent.id) == ClinicAttendance.clinic_event_id)
        .where(ClinicAttendance.status == AttendanceStatus.ATTENDED, col(ClinicEvent.start_date) < clinic.start_date)
    ).all()
    for pid, day in rows:
        last[pid] = max(day, last.get(pid, day))
    out: list[DuePatient] = []
    for p in session.exec(select(Patient).where(col(Patient.archived).is_(False))).all():
        if p.transferred_on is not None and p.transferred_on <= clinic.start_date:
            continue
        assert p.id is not None
        seen = last.get(p.id)
        due = seen + relativedelta(months=p.review_interval_months) if seen else p.registered_on
        if due <= clinic.end_date:
            out.append(DuePatient(p.id, p.full_name, seen, due, p.review_interval_months))
    return sorted(out, key=lambda d: (d.due_on, d.name))


def available_minutes(session: Session, clinic_id: int) -> dict[str, int]:
    instance = load_instance(session, clinic_id, patients=False)
    out: dict[str, int] = defaultdict(int)
    for s in instance.staffing:
        lunch = instance.lunch_minutes if instance.lunch_span(s.start, s.end) else 0
        out[instance.professionals[s.professional_id].discipline] += max(0, s.end - s.start - lunch)
    return dict(out)


@dataclass
class InviteProposal:
    invite: list[DuePatient] = field(default_factory=list)
    left_out: list[tuple[DuePatient, str]] = field(default_factory=list)
    already_invited: list[int] = field(default_factory=list)
    capacity: dict[str, int] = field(default_factory=dict)  # minutes the professionals' hours give, by discipline
    used: dict[str, int] = field(default_factory=dict)  # of which the invited and the proposed families need


def _short_of(need: Need, capacity: int, used: int) -> str:
    """Why a need does not fit: no one of that discipline staffed, or too few hours left."""
    if capacity <= 0:
        return f"no {need.discipline} professional is staffed at this clinic (needs {need.minutes} minutes)"
    return f"{need.discipline} has {sch.hours_text(max(0, capacity - used))} left and needs {need.minutes} minutes"


def propose_invitees(session: Session, clinic_id: int) -> InviteProposal:
    """Due patients, most overdue first, while every discipline's requested minutes fit its hours.

    The families already on this clinic's list (whatever their answer: one that declined or cancelled is not
    proposed again; the nurse re-invites them by changing their status) are left out of the proposal; those still
    coming (invited, confirmed) count against the hours."""
    capacity = available_minutes(session, clinic_id)
    used: dict[str, int] = defaultdict(int)
    proposal = InviteProposal()
    listed = session.exec(
        select(ClinicAttendance.patient_id, ClinicAttendance.status).where(
            ClinicAttendance.clinic_event_id == clinic_id
        )
    ).all()
    coming = {AttendanceStatus.INVITED, AttendanceStatus.CONFIRMED, AttendanceStatus.ATTENDED}
    invited = [pid for pid, status in listed if AttendanceStatus(status) in coming]
    on_list = {pid for pid, _status in listed}
    proposal.already_invited = list(invited)
    for pid in invited:
        for n in needs_for_patient(session, pid):
            if n.needed:
                used[n.discipline] += n.minutes
    proposal.capacity = dict(capacity)
    for due in due_patients(session, clinic_id):
        if due.patient_id in on_list:
            continue
        needs = [n for n in needs_for_patient(session, due.patient_id) if n.needed]
        short = [
            _short_of(n, capacity.get(n.discipline, 0), used[n.discipline])
            for n in needs
            if used[n.discipline] + n.minutes > capacity.get(n.discipline, 0)
        ]
        if short:
            proposal.left_out.append((due, short[0]))
            continue
        for n in needs:
            used[n.discipline] += n.minutes
        proposal.invite.append(due)
    proposal.used = dict(used)
    return proposal


# ------------------------------------------------------------------------------------------------------------
# Clinic -> solver instance
# ------------------------------------------------------------------------------------------------------------


def _minute(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def load_instance(session: Session, clinic_id: int, *, patients: bool = True) -> sch.Instance:
    """The clinic as solver dataclasses. It only reads, so it runs in ``Database.read_session`` (no write lock)."""
    clinic = _clinic(session, clinic_id)
    service = session.get(Service, clinic.service_id)
    hours = ServiceDetails.of(service)  # the defaults when the clinic's service is gone
    zone = hours.timezone
    dates = clinic.dates
    day_index = {d: i for i, d in enumerate(dates)}
    rooms = {r.id: sch.RoomSpec(r.id, r.name, r.building) for r in clinic_rooms(session, clinic_id) if r.id is not None}
    walks = {
        tuple(sorted((w.first_building, w.second_building))): w.minutes for w in venue_walks(session, clinic.venue_id)
    }
    staffing: list[sch.StaffDay] = []
    professionals: dict[int, sch.ProfessionalSpec] = {}
    for s, p in session.exec(
        select(ClinicStaffing, Professional)
        .join(Professional, col(Professional.id) == ClinicStaffing.professional_id)
        .where(ClinicStaffing.clinic_event_id == clinic_id)
    ).all():
        if s.day not in day_index or p.id is None:
            continue
        staffing.append(sch.StaffDay(p.id, day_index[s.day], _minute(s.start_time), _minute(s.end_time), s.room_id))
        professionals[p.id] = sch.ProfessionalSpec(p.id, p.display_name, canonical_discipline(p.discipline))
    instance = sch.Instance(
        professionals=professionals,
        staffing=staffing,
        rooms=rooms,
        patients={},
        requests=[],
        days=clinic.days,
        day_start=_minute(clinic.day_start),
        day_end=_minute(clinic.day_end),
        child_day_start=_minute(hours.child_day_start),
        child_day_end=_minute(hours.child_day_end),
        adult_day_start=_minute(hours.adult_day_start),
        adult_day_end=_minute(hours.adult_day_end),
        transfer_minutes=hours.minutes_between_buildings,
        walks=walks,  # type: ignore[arg-type]
        round_table=bool(service.uses_round_table) if service else False,
        day_labels=[f"day {i + 1} ({d:%a %d/%m})" for i, d in enumerate(dates)],
    )
    if not patients:
        return instance

    attendances = session.exec(
        select(ClinicAttendance, Patient)
        .join(Patient, col(Patient.id) == ClinicAttendance.patient_id)
        .where(
            ClinicAttendance.clinic_event_id == clinic_id,
            col(ClinicAttendance.status).in_([AttendanceStatus.INVITED, AttendanceStatus.CONFIRMED]),
        )
    ).all()
    # Every booked appointment of the clinic, with its professionals: each one is either part of the plan or, when
    # its family is not invited or confirmed, kept as booked outside it (it still holds its professionals and room).
    appts = session.exec(
        select(Appointment)
        .where(Appointment.clinic_event_id == clinic_id, col(Appointment.status).in_(list(ACTIVE_APPOINTMENT)))
        .order_by(col(Appointment.start), col(Appointment.id))
    ).all()
    instance.appointment_versions = {a.id: a.version for a in appts if a.id is not None}
    links: dict[int, list[int]] = defaultdict(list)
    if appts:
        for link in session.exec(
            select(AppointmentProfessional).where(
                col(AppointmentProfessional.appointment_id).in_([a.id for a in appts])
            )
        ).all():
            links[link.appointment_id].append(link.professional_id)
    # Appointments on a date that is not one of the clinic's days cannot clash with the plan: left as they are.
    on_clinic_days = [a for a in appts if to_local(a.start, zone).date() in day_index]
    by_patient: dict[int, list[Appointment]] = defaultdict(list)
    for a in on_clinic_days:
        by_patient[a.patient_id].append(a)
    staffed_by_discipline: dict[str, list[int]] = defaultdict(list)
    for pid, spec in sorted(professionals.items()):
        staffed_by_discipline[spec.discipline].append(pid)
    load: dict[int, int] = defaultdict(int)

    for attendance, patient in attendances:
        assert patient.id is not None
        arrival = departure = None
        if attendance.travel_out_arrive is not None:
            local = to_local(attendance.travel_out_arrive, zone)
            if local.date() == dates[0]:
                arrival = local.hour * 60 + local.minute
            elif local.date() > dates[0]:
                arrival = 24 * 60  # arrives after day 1: nothing on day 1
        if attendance.travel_home_depart is not None:
            local = to_local(attendance.travel_home_depart, zone)
            if local.date() == dates[-1]:
                departure = local.hour * 60 + local.minute
            elif local.date() < dates[-1]:
                departure = 0
        instance.patients[patient.id] = sch.PatientSpec(
            patient.id,
            patient.full_name,
            is_child=age_on(patient.date_of_birth, clinic.start_date) < 18,
            arrival=arrival,
            departure=departure,
        )
        # One booked appointment (the earliest) answers each need; any other stays in the timetable as booked.
        unmatched = list(by_patient.pop(patient.id, []))
        care_team = set(
            session.exec(
                select(CareTeamMember.professional_id).where(
                    CareTeamMember.patient_id == patient.id, CareTeamMember.status == CareTeamStatus.ACTIVE
                )
            ).all()
        )
        wanted = [n for n in needs_for_patient(session, patient.id) if n.needed]
        if instance.round_table:
            wanted.append(Need(ROUND_TABLE_DISCIPLINE, default_for(ROUND_TABLE_DISCIPLINE).minutes, True, "default"))
        for need in wanted:
            defaults = default_for(need.discipline)
            existing = next((a for a in unmatched if canonical_discipline(a.discipline) == need.discipline), None)
            if existing is not None:
                unmatched.remove(existing)
                instance.requests.append(_request_from_appointment(existing, links, day_index, zone))
                continue
            kind = defaults.kind if defaults.kind in {k.value for k in AppointmentKind} else "consultation"
            if need.discipline == ROUND_TABLE_DISCIPLINE:
                kind, profs = sch.ROUND_TABLE, ()
            else:
                candidates = staffed_by_discipline.get(need.discipline, [])
                ours = [p for p in candidates if p in care_team]
                pool = ours or candidates
                chosen = min(pool, key=lambda p: (load[p], p)) if pool else None
                profs = (chosen,) if chosen is not None else ()
                if chosen is not None:
                    load[chosen] += need.minutes
            instance.requests.append(
                sch.Request(
                    key=f"new-{patient.id}-{need.discipline}",
                    patient_id=patient.id,
                    discipline=need.discipline,
                    minutes=need.minutes,
                    professional_ids=profs,
                    kind=kind,
                    fasting=defaults.fasting,
                )
            )
        # Appointments booked by hand for something not in the needs list (or a second one for the same
        # discipline) stay in the timetable: the plan places them like the others.
        for a in unmatched:
            instance.requests.append(_request_from_appointment(a, links, day_index, zone))
    # The rest belong to families not invited or confirmed: kept as booked, the plan works around them.
    outside_ids = {pid for pid in by_patient}
    names = {
        p.id: p.full_name
        for p in session.exec(select(Patient).where(col(Patient.id).in_(sorted(outside_ids)))).all()
        if p.id is not None
    }
    for pid, booked in sorted(by_patient.items()):
        instance.outside_families[pid] = names.get(pid, f"patient {pid}")
        for a in booked:
            r = _request_from_appointment(a, links, day_index, zone)
            assert r.current is not None
            instance.outside_plan.append(
                sch.ScheduledItem(
                    key=r.key,
                    patient_id=pid,
                    discipline=r.discipline,
                    kind=r.kind,
                    day=r.current.day,
                    start=r.current.start,
                    end=r.current.start + r.minutes,
                    professional_ids=r.professional_ids,
                    room_id=a.room_id,
                    pinned=True,
                )
            )
    return instance


def _request_from_appointment(
    a: Appointment, links: dict[int, list[int]], day_index: dict[dt.date, int], zone: str
) -> sch.Request:
    """A booked appointment as a request: where it is now (``current``) and its own length and room; pinned ones
    and those of a family already arrived are fixed."""
    start = to_local(a.start, zone)
    placement = sch.Placement(day_index[start.date()], start.hour * 60 + start.minute)
    length = max(1, int((a.end - a.start).total_seconds() // 60))
    fixed = a.pinned or a.status == AppointmentStatus.ARRIVED
    return sch.Request(
        key=a.uid,
        patient_id=a.patient_id,
        discipline=canonical_discipline(a.discipline),
        minutes=length,
        professional_ids=tuple(sorted(links.get(a.id or 0, []))),
        kind=sch.ROUND_TABLE if a.kind == AppointmentKind.ROUND_TABLE else a.kind.value,
        fasting=a.fasting,
        room_id=a.room_id if fixed else None,
        pinned=placement if fixed else None,
        current=placement,
        current_room_id=a.room_id,
        appointment_id=a.id,
        appointment_version=a.version,
    )


def solve_instance(
    instance: sch.Instance,
    *,
    time_limit: float = 10.0,
    repair: bool = False,
    on_solution: Callable[[float, float], None] | None = None,
    seed: int = 0,
    deterministic: bool = False,
) -> sch.ScheduleResult:
    """Solve (or repair) a loaded clinic; nothing is read or written. Call it with no database session open.

    ``deterministic`` (tests) counts CP-SAT's deterministic time with one worker: the same answer on a busy
    machine. The product uses wall-clock seconds, which is what the nurse waits."""
    if repair:
        return repair_timetable(
            instance, time_limit=time_limit, on_solution=on_solution, seed=seed, deterministic=deterministic
        )
    result = sch.solve(instance, time_limit=time_limit, on_solution=on_solution, seed=seed, deterministic=deterministic)
    result.moves = sch.compute_moves(instance, result.scheduled)
    return result


# ------------------------------------------------------------------------------------------------------------
# Solution -> database
# ------------------------------------------------------------------------------------------------------------


def apply_solution(
    session: Session, clinic_id: int, instance: sch.Instance, result: sch.ScheduleResult
) -> TimetablePlan:
    """Write the plan (``timetable_plan.plan_changes``): new appointments created, moved ones moved, booked ones
    it could not keep cancelled; unchanged, pinned and kept-outside ones are not touched. Returns that plan, so
    the figures after applying are the ones the review showed.

    The plan was built on the timetable as read: if any booked appointment of the clinic changed, was added or
    was removed since, the whole apply is refused with ConcurrentEditError (the caller's transaction rolls back)
    and nothing is written; build again on the current timetable."""
    if result.status not in ("optimal", "feasible"):
        raise ValueError(f"there is no timetable to apply (solver status {result.status})")
    clinic = _clinic(session, clinic_id)
    service = session.get(Service, clinic.service_id)
    zone = service.timezone if service else "Europe/London"
    now = {
        a.id: a.version
        for a in session.exec(
            select(Appointment).where(
                Appointment.clinic_event_id == clinic_id, col(Appointment.status).in_(list(ACTIVE_APPOINTMENT))
            )
        ).all()
        if a.id is not None
    }
    if now != instance.appointment_versions:
        raise ConcurrentEditError("clinic timetable", None, None)
    from coordinator_tui.services.clinics.appointments import new_uid, set_professionals

    requests = {r.key: r for r in instance.requests}
    plan = plan_changes(instance, result)
    for change in plan.changes:
        r = requests.get(change.key)
        if r is None or change.kind in (ChangeKind.UNCHANGED, ChangeKind.KEPT_OUTSIDE, ChangeKind.NOT_PLACED):
            continue
        if change.kind == ChangeKind.CANCELLED:
            _update_booked(session, r, {"status": AppointmentStatus.CANCELLED})
            continue
        it = change.after
        assert it is not None
        day = clinic.dates[it.day]
        start = local_to_utc(day, dt.time(it.start // 60, it.start % 60), zone)
        end = start + dt.timedelta(minutes=r.minutes)  # its own length (the solver's steps are 5 minutes)
        if change.kind == ChangeKind.MOVED:
            appointment_id = _update_booked(session, r, {"start": start, "end": end, "room_id": it.room_id})
            if set(it.professional_ids) != set(r.professional_ids):  # the request holds its current professionals
                set_professionals(session, appointment_id, sorted(it.professional_ids))
            continue
        appt = create_record(
            session,
            Appointment(
                uid=new_uid(),
                clinic_event_id=clinic_id,
                patient_id=it.patient_id,
                discipline=it.discipline,
                kind=AppointmentKind(it.kind) if it.kind in {k.value for k in AppointmentKind} else "consultation",
                start=start,
                end=end,
                room_id=it.room_id,
                status=AppointmentStatus.BOOKED,
                fasting=r.fasting,
                family_instructions="Please come without eating or drinking (water is fine)." if r.fasting else "",
            ),
        )
        assert appt.id is not None
        set_professionals(session, appt.id, sorted(it.professional_ids))
    return plan


def _update_booked(session: Session, r: sch.Request, values: dict[str, object]) -> int:
    """Change the booked appointment behind ``r``; refused (ConcurrentEditError) if it changed since it was read."""
    assert r.appointment_id is not None
    update_record(session, Appointment, r.appointment_id, values, expected_version=r.appointment_version)
    return r.appointment_id
