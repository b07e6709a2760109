"""What a timetable plan does to a clinic's booked appointments, worked out once for the review, the command and
the apply, so every place shows the same figures.

Plain dataclasses in and out (no database here):

- ``current_items(instance)``: the timetable as booked (every request with a current or pinned placement).
- ``rule_breaches(instance)``: the booked appointments that break a rule as the timetable stands, each with the
  rule in words, found by the independent checker (``timetable_checker``): a professional's day cancelled, a
  family arriving later, two appointments booked by hand at once, no lunch break, too little time to walk
  between buildings, fasting bloods not first...
- ``repair_timetable(instance, ...)``: repair moving only what breaks a rule (and, when that is not enough,
  as little else as it can), never dropping an appointment that broke no rule.
- ``plan_changes(instance, result)``: every appointment's fate (moved, cancelled, new, not placed, unchanged,
  kept outside the plan) with the reason, and the counts of each (``TimetablePlan.counts_text``).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from coordinator_tui.services.clinics import scheduling as sch
from coordinator_tui.services.clinics.timetable_checker import Violation, check_timetable


class ChangeKind(StrEnum):
    MOVED = "moved"
    CANCELLED = "cancelled"
    NEW = "new"
    NOT_PLACED = "not placed"
    UNCHANGED = "unchanged"
    KEPT_OUTSIDE = "kept as booked"


# The order of the counts and of the review's lines.
CHANGE_ORDER = (
    ChangeKind.MOVED,
    ChangeKind.CANCELLED,
    ChangeKind.NEW,
    ChangeKind.NOT_PLACED,
    ChangeKind.UNCHANGED,
    ChangeKind.KEPT_OUTSIDE,
)

OUTSIDE_REASON = "the family is not invited or confirmed for this clinic: kept as booked, the plan works around it"
REPLANNED_REASON = "re-planned by the build"
MADE_ROOM_REASON = "moved to make room for the appointments that broke a rule"


@dataclass(frozen=True)
class PlannedChange:
    """What applying the plan does to one appointment (or one request not yet booked), and why."""

    kind: ChangeKind
    key: str
    patient_id: int
    discipline: str
    appointment_id: int | None
    before: sch.Placement | None
    after: sch.ScheduledItem | None
    reason: str = ""


@dataclass
class TimetablePlan:
    changes: list[PlannedChange] = field(default_factory=list)
    breaches: dict[str, str] = field(default_factory=dict)  # booked appointment key -> the rule it breaks now

    def of(self, kind: ChangeKind) -> list[PlannedChange]:
        return [c for c in self.changes if c.kind == kind]

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    def counts_text(self) -> str:
        """``3 moved, 0 cancelled, 14 new, 0 not placed, 95 unchanged`` (and kept as booked, when there are any)."""
        parts = [f"{self.count(kind)} {kind.value}" for kind in CHANGE_ORDER[:5]]
        if self.count(ChangeKind.KEPT_OUTSIDE):
            parts.append(f"{self.count(ChangeKind.KEPT_OUTSIDE)} {ChangeKind.KEPT_OUTSIDE.value} outside the plan")
        return ", ".join(parts)

    @property
    def writes(self) -> bool:
        return any(c.kind in (ChangeKind.MOVED, ChangeKind.CANCELLED, ChangeKind.NEW) for c in self.changes)


# ------------------------------------------------------------------------------------------------------------
# The timetable as booked, and what in it breaks a rule
# ------------------------------------------------------------------------------------------------------------


def current_items(instance: sch.Instance) -> list[sch.ScheduledItem]:
    """The booked timetable: every request with a pinned or current placement, in its own room."""
    items: list[sch.ScheduledItem] = []
    for r in instance.requests:
        placement = r.pinned or r.current
        if placement is None:
            continue
        room = r.current_room_id if r.current_room_id is not None else instance.room_for(r, placement.day)
        items.append(
            sch.ScheduledItem(
                key=r.key,
                patient_id=r.patient_id,
                discipline=r.discipline,
                kind=r.kind,
                day=placement.day,
                start=placement.start,
                end=placement.start + r.slot_minutes,
                professional_ids=r.professional_ids,
                room_id=room,
                pinned=r.pinned is not None,
            )
        )
    return items


def as_booked(instance: sch.Instance, items: list[sch.ScheduledItem]) -> sch.Instance:
    """The instance as if ``items`` had been applied: each placed request booked there (its current placement,
    room and, for a round-table, its professionals), as ``clinic_planning.load_instance`` reads it back."""
    placed = {it.key: it for it in items}
    requests = []
    for r in instance.requests:
        it = placed.get(r.key)
        if it is None:
            requests.append(r)
            continue
        requests.append(
            dataclasses.replace(
                r,
                current=sch.Placement(it.day, it.start),
                current_room_id=it.room_id,
                professional_ids=it.professional_ids if r.kind == sch.ROUND_TABLE else r.professional_ids,
            )
        )
    return dataclasses.replace(instance, requests=requests)


def describe_appointment(instance: sch.Instance, key: str) -> str:
    """``cardiology for Kit Elderflower, day 1 (Mon 14/12) 09:35``: an appointment in words."""
    for it in instance.outside_plan:
        if it.key == key:
            family = family_name(instance, it.patient_id)
            return f"{it.discipline} for {family}, {instance.day_label(it.day)} {sch.hhmm(it.start)}"
    r = next((r for r in instance.requests if r.key == key), None)
    if r is None:
        return "another appointment"
    family = instance.patients[r.patient_id].name if r.patient_id in instance.patients else "the family"
    placement = r.pinned or r.current
    when = f", {instance.day_label(placement.day)} {sch.hhmm(placement.start)}" if placement else ""
    return f"{r.discipline} for {family}{when}"


def _professional(instance: sch.Instance, pid: int | None) -> str:
    spec = instance.professionals.get(pid) if pid is not None else None
    return spec.name if spec else "the professional"


def family_name(instance: sch.Instance, pid: int | None) -> str:
    """The family's name, for families in the plan and those kept outside it."""
    spec = instance.patients.get(pid) if pid is not None else None
    if spec is not None:
        return spec.name
    return instance.outside_families.get(pid, "the family") if pid is not None else "the family"


def rule_text(instance: sch.Instance, violation: Violation, key: str) -> str:
    """The rule ``key``'s appointment breaks, in words a nurse reads (names, not record numbers)."""
    other = next((k for k in violation.keys if k != key), None)
    with_other = describe_appointment(instance, other) if other else "another appointment"
    day = instance.day_label(violation.day) if violation.day is not None else "that day"
    rule = violation.rule
    if rule == "professional_hours":
        return f"{_professional(instance, violation.professional_id)} is not in clinic at that time on {day}"
    if rule == "patient_window":
        return (
            f"it is outside the family's hours on {day} (their arrival or departure, or the end of a "
            f"{'child' if _is_child(instance, violation.patient_id) else 'adult'}'s clinic day)"
        )
    if rule == "professional_overlap":
        who = _professional(instance, violation.professional_id)
        return f"{who} is booked at the same time for {with_other}"
    if rule == "room_overlap":
        spec = instance.rooms.get(violation.room_id) if violation.room_id is not None else None
        return f"{spec.name if spec else 'the room'} is booked at the same time for {with_other}"
    if rule == "patient_overlap":
        return f"{family_name(instance, violation.patient_id)} is booked at the same time for {with_other}"
    if rule == "transfer":
        return (
            f"too little time to walk between buildings to or from {with_other} "
            f"(the walk takes {violation.minutes or instance.transfer_minutes} minutes)"
        )
    if rule == "fasting":
        if other is None:
            return "fasting bloods must be first thing on the first clinic day"
        if violation.keys and violation.keys[0] == key:
            return f"it comes before the fasting bloods ({with_other}), which must be first thing on day 1"
        return f"fasting bloods must be first thing on day 1, and {with_other} comes before them"
    if rule == "lunch":
        who = (
            _professional(instance, violation.professional_id)
            if violation.professional_id is not None
            else family_name(instance, violation.patient_id)
        )
        return (
            f"it leaves {who} no {instance.lunch_minutes}-minute lunch break between "
            f"{sch.hhmm(instance.lunch_start)} and {sch.hhmm(instance.lunch_end)} on {day}"
        )
    if rule == "grid":
        return "it starts or ends off the 5-minute steps the timetable is planned in"
    if rule == "round_table":
        return "the closing round-table must come last on the last day, with everyone who saw the family"
    if rule == "day":
        return "it is not on a day of this clinic"
    return violation.message


def _is_child(instance: sch.Instance, pid: int | None) -> bool:
    spec = instance.patients.get(pid) if pid is not None else None
    return bool(spec and spec.is_child)


def rule_breaches(instance: sch.Instance) -> dict[str, str]:
    """Booked appointments (not pinned ones: they stay) that break a rule as the timetable stands -> the rules."""
    movable = {r.key for r in instance.requests if r.current is not None and r.pinned is None}
    found: dict[str, list[str]] = defaultdict(list)
    for violation in check_timetable(instance, current_items(instance)):
        for key in violation.keys:
            if key in movable:
                text = rule_text(instance, violation, key)
                if text not in found[key]:
                    found[key].append(text)
    return {key: "; ".join(texts) for key, texts in found.items()}


def repair_timetable(
    instance: sch.Instance,
    *,
    time_limit: float = 2.5,
    seed: int = 0,
    workers: int = 2,
    on_solution: Callable[[float, float], None] | None = None,
    deterministic: bool = False,
) -> sch.ScheduleResult:
    """Repair: the appointments that break a rule are freed (with the rule kept on the result), the rest kept."""
    breaches = rule_breaches(instance)
    result = sch.repair(
        instance,
        displaced=breaches,
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        on_solution=on_solution,
        deterministic=deterministic,
    )
    result.rule_breaches = breaches
    return result


# ------------------------------------------------------------------------------------------------------------
# The plan's changes
# ------------------------------------------------------------------------------------------------------------


def _changed(r: sch.Request, item: sch.ScheduledItem) -> list[str]:
    """What differs between a booked appointment and its place in the plan (empty: it stays as it is)."""
    assert r.current is not None
    what: list[str] = []
    if (item.day, item.start) != (r.current.day, r.current.start):
        what.append("time")
    if r.current_room_id is not None and item.room_id != r.current_room_id:
        what.append("room")
    if set(item.professional_ids) != set(r.professional_ids):
        what.append("professionals")
    return what


def _made_room_for(
    instance: sch.Instance, r: sch.Request, placed: dict[str, sch.ScheduledItem], breaches: dict[str, str]
) -> str:
    """Why a repair moved an appointment that broke no rule: to make room for a displaced one of the same family
    or the same professional (a repair moves nothing else)."""
    shared = [
        q
        for q in instance.requests
        if q.key in breaches
        and q.key in placed
        and (q.patient_id == r.patient_id or set(q.professional_ids) & set(r.professional_ids))
    ]
    shared.sort(key=lambda q: (q.kind == sch.ROUND_TABLE, q.patient_id != r.patient_id, q.key))
    if not shared:
        return MADE_ROOM_REASON
    return f"moved to make room for {describe_appointment(instance, shared[0].key)}, which broke a rule"


def plan_changes(instance: sch.Instance, result: sch.ScheduleResult) -> TimetablePlan:
    """Every appointment's fate if ``result`` is applied, with the reason; the one count the screens all show."""
    placed = {it.key: it for it in result.scheduled}
    why_not = {u.key: u.reason for u in result.unscheduled}
    breaches = result.rule_breaches
    repairing = bool(breaches) or result.stage == sch.STAGE_REPAIR
    plan = TimetablePlan(breaches=dict(breaches))
    for r in instance.requests:
        item = placed.get(r.key)
        base = dict(key=r.key, patient_id=r.patient_id, discipline=r.discipline, appointment_id=r.appointment_id)
        if r.pinned is not None:
            plan.changes.append(
                PlannedChange(ChangeKind.UNCHANGED, before=r.pinned, after=item, reason="pinned", **base)
            )
        elif r.current is None or r.appointment_id is None:
            if item is not None:
                plan.changes.append(PlannedChange(ChangeKind.NEW, before=None, after=item, **base))
            else:
                reason = why_not.get(r.key, "no time was found for it")
                plan.changes.append(
                    PlannedChange(ChangeKind.NOT_PLACED, before=None, after=None, reason=reason, **base)
                )
        elif item is None:
            reason = why_not.get(r.key, "no time was found for it")
            if r.key in breaches:
                reason = f"{breaches[r.key]}, and {reason}"
            plan.changes.append(
                PlannedChange(ChangeKind.CANCELLED, before=r.current, after=None, reason=reason, **base)
            )
        elif what := _changed(r, item):
            if r.key in breaches:
                reason = breaches[r.key]
            elif repairing:
                reason = _made_room_for(instance, r, placed, breaches)
            else:
                reason = REPLANNED_REASON
            if what != ["time"]:
                reason = f"{reason} ({', '.join(what)} changed)"
            plan.changes.append(PlannedChange(ChangeKind.MOVED, before=r.current, after=item, reason=reason, **base))
        else:
            plan.changes.append(PlannedChange(ChangeKind.UNCHANGED, before=r.current, after=item, **base))
    for it in instance.outside_plan:
        plan.changes.append(
            PlannedChange(
                ChangeKind.KEPT_OUTSIDE,
                key=it.key,
                patient_id=it.patient_id,
                discipline=it.discipline,
                appointment_id=None,
                before=sch.Placement(it.day, it.start),
                after=it,
                reason=OUTSIDE_REASON,
            )
        )
    return plan


def describe_change(instance: sch.Instance, change: PlannedChange) -> str:
    """One line for the command and the logs of a review: who, what, before -> after, and why."""
    family = family_name(instance, change.patient_id)
    before = (
        f"{instance.day_label(change.before.day)} {sch.hhmm(change.before.start)}" if change.before else "not booked"
    )
    if change.after is not None and change.kind != ChangeKind.KEPT_OUTSIDE:
        after = f"{instance.day_label(change.after.day)} {sch.hhmm(change.after.start)}"
    else:
        after = change.kind.value
    text = f"{change.kind.value}: {family}, {change.discipline}: {before} -> {after}"
    return f"{text} ({change.reason})" if change.reason else text
