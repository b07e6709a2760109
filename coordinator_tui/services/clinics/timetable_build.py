"""Building (or repairing) one clinic's timetable, in the three steps the app and the command line both run.

1. **Load** (``load_for_build``, a read use case): the clinic as solver dataclasses, read without the write lock.
2. **Solve** (``solve_loaded``): CP-SAT on what was loaded, with no database transaction open, so other
   coordinators never wait for the solver. ``None`` when nobody invited needs an appointment.
3. **Apply** (``apply_timetable``, a write use case): the plan written in one short transaction, refused as a whole
   (``ConcurrentEditError``) when a booked appointment of the clinic changed since step 1.

Between 2 and 3 the plan is reviewed: ``review_build`` gives the summary lines, the plan's changes
(``timetable_plan.plan_changes``) and the review's rows (``review_rows``), in words and symbols, never colour.
``timetable_overview`` is what the build screen shows before building; ``parse_time_limit`` reads its field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from coordinator_tui.models import ClinicEvent
from coordinator_tui.services.clinics import clinic_planning, timetable_plan
from coordinator_tui.services.clinics import scheduling as sch
from coordinator_tui.services.clinics.timetable_plan import CHANGE_ORDER, ChangeKind, TimetablePlan

if TYPE_CHECKING:
    from coordinator_tui.db import Database

DEFAULT_TIME_LIMIT = 10.0
#: Solver statuses whose timetable can be applied.
APPLICABLE = ("optimal", "feasible")

# How the review marks each kind of change (words and symbols, never colour alone).
MOVED = "→ moved"
CANCELLED = "✗ cancelled"
NEW = "+ new"
NOT_PLACED = "– not placed"
KEPT = "= kept as booked"
MARK = {
    ChangeKind.MOVED: MOVED,
    ChangeKind.CANCELLED: CANCELLED,
    ChangeKind.NEW: NEW,
    ChangeKind.NOT_PLACED: NOT_PLACED,
    ChangeKind.KEPT_OUTSIDE: KEPT,
}


@dataclass(frozen=True)
class Change:
    """One line of the review: what happens to one appointment if the plan is applied, and why."""

    kind: str
    family: str
    discipline: str
    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class ClinicOverview:
    """What the build screen shows before building: the clinic and how much there is to place."""

    name: str
    families: int
    requests: int
    booked: int
    pinned: int


@dataclass(frozen=True)
class BuildReview:
    """A solved plan, for review: the summary lines, the plan (None when there is nothing to apply) and its rows."""

    lines: list[str]
    plan: TimetablePlan | None = None
    changes: list[Change] = field(default_factory=list)


def parse_time_limit(text: str) -> float:
    """Seconds from the field; ValueError with a message the screen shows when it is not usable."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise ValueError("Time limit: enter a number of seconds, e.g. 10") from None
    try:
        return sch.valid_time_limit(value)
    except ValueError as exc:
        raise ValueError(f"Time limit: {exc}") from None


# ------------------------------------------------------------------------------------------------------------
# The three steps
# ------------------------------------------------------------------------------------------------------------


def load_for_build(database: Database, clinic_id: int) -> sch.Instance:
    """Step 1: the clinic as solver dataclasses, read in a read session (no write lock)."""
    return database.read(clinic_planning.load_instance, clinic_id)


def solve_loaded(
    instance: sch.Instance,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    repair: bool = False,
    on_solution: Callable[[float, float], None] | None = None,
    seed: int = 0,
    deterministic: bool = False,
) -> sch.ScheduleResult | None:
    """Step 2: solve (or repair) what was loaded, with no transaction open; None when there is nothing to solve."""
    if not instance.requests:
        return None
    return clinic_planning.solve_instance(
        instance,
        time_limit=time_limit,
        repair=repair,
        on_solution=on_solution,
        seed=seed,
        deterministic=deterministic,
    )


def apply_timetable(
    database: Database, clinic_id: int, instance: sch.Instance, result: sch.ScheduleResult
) -> TimetablePlan:
    """Step 3: write the plan in one short transaction; refused as a whole (ConcurrentEditError) when a booked
    appointment of the clinic changed, appeared or went since step 1, and (ValueError) when there is no
    timetable to apply."""
    return database.write(clinic_planning.apply_solution, clinic_id, instance, result)


def build_timetable(
    database: Database,
    clinic_id: int,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    repair: bool = False,
    on_solution: Callable[[float, float], None] | None = None,
    seed: int = 0,
    deterministic: bool = False,
) -> tuple[sch.Instance, sch.ScheduleResult | None]:
    """Steps 1 and 2 in one call: load in a read session, then solve with no session open; nothing is written.

    Review the result, then ``apply_timetable``: it refuses appointments changed since the clinic was read."""
    instance = load_for_build(database, clinic_id)
    result = solve_loaded(
        instance,
        time_limit=time_limit,
        repair=repair,
        on_solution=on_solution,
        seed=seed,
        deterministic=deterministic,
    )
    return instance, result


@dataclass(frozen=True)
class BuiltTimetable:
    """Steps 1 and 2 done, with the review of the result (None when there was nothing to solve)."""

    instance: sch.Instance
    result: sch.ScheduleResult | None
    review: BuildReview | None


def build_for_review(
    database: Database,
    clinic_id: int,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    repair: bool = False,
    on_solution: Callable[[float, float], None] | None = None,
) -> BuiltTimetable:
    """Load and solve (``build_timetable``), then review the result: what the build screen shows."""
    instance, result = build_timetable(
        database, clinic_id, time_limit=time_limit, repair=repair, on_solution=on_solution
    )
    return BuiltTimetable(instance, result, review_build(instance, result) if result is not None else None)


# ------------------------------------------------------------------------------------------------------------
# Before building, and the review
# ------------------------------------------------------------------------------------------------------------


def timetable_overview(database: Database, clinic_id: int) -> ClinicOverview:
    """The clinic's name and how much there is to place, read without the write lock."""
    with database.read_session() as session:
        clinic = session.get(ClinicEvent, clinic_id)
        name = clinic.name if clinic is not None else f"clinic {clinic_id}"
        instance = clinic_planning.load_instance(session, clinic_id)
    return ClinicOverview(
        name=name,
        families=len(instance.patients),
        requests=len(instance.requests),
        booked=sum(1 for r in instance.requests if r.appointment_id is not None),
        pinned=sum(1 for r in instance.requests if r.pinned is not None),
    )


def review_build(instance: sch.Instance, result: sch.ScheduleResult) -> BuildReview:
    """The summary lines, and for an applicable result the plan and the review's rows."""
    lines = result.summary_lines(instance)
    if result.status not in APPLICABLE:
        return BuildReview(lines)
    plan = timetable_plan.plan_changes(instance, result)
    if plan.breaches:  # before the list of what could not be placed, which can be long
        first_unplaced = next((n for n, line in enumerate(lines) if line.startswith("  not placed")), len(lines))
        lines.insert(
            first_unplaced,
            f"{len(plan.breaches)} booked appointment{'s' if len(plan.breaches) != 1 else ''} "
            "broke a rule as the timetable stood (the review gives the rule for each one moved)",
        )
    return BuildReview(lines, plan, review_rows(instance, plan))


def _slot(instance: sch.Instance, day: int, start: int, end: int | None = None) -> str:
    text = f"{instance.day_label(day)} {sch.hhmm(start)}"
    return f"{text}–{sch.hhmm(end)}" if end is not None else text


def _where(instance: sch.Instance, item: sch.ScheduledItem) -> str:
    who = ", ".join(instance.professionals[p].name for p in item.professional_ids if p in instance.professionals)
    room = instance.rooms[item.room_id].name if item.room_id in instance.rooms else ""
    return " · ".join(part for part in (_slot(instance, item.day, item.start, item.end), who, room) if part)


def review_rows(instance: sch.Instance, plan: TimetablePlan) -> list[Change]:
    """The review's rows: every change the plan makes (unchanged appointments are not listed), in the plan's order
    of kinds, then family and time."""
    order = {kind: n for n, kind in enumerate(CHANGE_ORDER)}
    rows: list[tuple[tuple[int, str, int, int], Change]] = []
    for change in plan.changes:
        if change.kind not in MARK:
            continue
        family = timetable_plan.family_name(instance, change.patient_id)
        before = _slot(instance, change.before.day, change.before.start) if change.before else "not booked"
        if change.kind in (ChangeKind.MOVED, ChangeKind.NEW) and change.after is not None:
            after = _where(instance, change.after)
        else:
            after = change.kind.value
        when = (change.after.day, change.after.start) if change.after is not None else (99, 0)
        rows.append(
            (
                (order[change.kind], family, *when),
                Change(MARK[change.kind], family, change.discipline, before, after, change.reason),
            )
        )
    return [row for _key, row in sorted(rows, key=lambda pair: pair[0])]
