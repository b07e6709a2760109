"""Bounds: per-family floors on the objective, and the redundant cuts that give CP-SAT a proven bound."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from .cpsat_model import TimetableModel, enforce
from .measures import family_costs
from .model import RESOLUTION, ROUND_TABLE, WAIT_WEIGHT, Instance, Request, ScheduledItem
from .windows import options_window

# per family: {days counted from the family's first appointment: a floor on its share of the objective}
FamilyFloors = dict[int, dict[frozenset[int], int]]
MAX_FLOOR_STATES = 20_000  # a family's day splits kept apart by family_floors before it gives up


def _day_floor(
    busy: int,
    mixed: bool,
    lunch_before_ok: bool,
    window: tuple[int, int],
    lunch: tuple[int, int] | None,
    lunch_units: int,
    transfer_units: int,
    from_first: bool,
) -> int | None:
    """The least share of the objective (units) of a family-day with ``busy`` units of appointments, or None.

    ``window`` is the family's day and ``lunch`` the earliest and latest start of its lunch break (units);
    ``mixed``: the appointments are in two buildings (a walk between them); ``from_first``: the day counted from
    the family's first appointment instead of the start of its window. The day is one of: lunch between two
    appointments (the day lengthens by the break; the walk may be taken over lunch), lunch before the first
    (which then starts after the earliest lunch end), lunch after the last (which then ends by the latest lunch
    start), or no lunch when the window hardly meets the lunch window. A walk not taken over lunch is waiting.
    """
    if busy == 0:
        return 0
    lo, hi = window
    walk = transfer_units if mixed else 0
    costs: list[int] = []
    if lunch is None:
        if lo + busy + walk <= hi:
            costs.append(busy + (WAIT_WEIGHT + 1) * walk)
        return min(costs, default=None)
    earliest, latest = lunch
    span = busy + max(lunch_units, walk)
    if lo + span <= hi:  # lunch between two appointments
        wait = span - busy - lunch_units
        costs.append((span if from_first else max(span, earliest + lunch_units - lo)) + WAIT_WEIGHT * wait)
    if lunch_before_ok and max(lo, earliest + lunch_units) + busy + walk <= hi:  # lunch before the first
        late = 0 if from_first else max(0, earliest + lunch_units - lo)
        costs.append(late + busy + (WAIT_WEIGHT + 1) * walk)
    if lo + busy + walk <= latest:  # lunch after the last
        costs.append(busy + (WAIT_WEIGHT + 1) * walk)
    return min(costs, default=None)


# A state per day of a family's appointments: (busy units, buildings, an appointment with no building, the fasting
# bloods).
_Cell = tuple[int, frozenset[str], bool, bool]
# An appointment to place: (units, is the fasting bloods, {possible day: building}).
_Todo = tuple[int, bool, dict[int, str]]


def family_floors(instance: Instance) -> FamilyFloors:
    """Per family, lower bounds on its share of the objective (waiting and finish, solver units) in any timetable
    that places all its appointments: ``{patient: {days: floor}}`` where the family's days in ``days`` are counted
    from its first appointment that day (the bound then holds for the share minus those days' late starts).

    Exact, by a small dynamic programme over every split of the family's appointments between the days, for a
    relaxation that keeps per day only the family's window, its lunch break, fasting bloods before lunch and the
    walk when the day spans two buildings (see ``_day_floor``): the professionals and the other families are left
    out. Round-tables (optional) and requests that cannot be placed are left out too, which only lowers a floor.
    """
    fasting_key = {r.patient_id: r.key for r in instance.requests if r.fasting}  # as the model: the last one
    by_patient: dict[int, list[Request]] = defaultdict(list)
    for r in instance.requests:
        by_patient[r.patient_id].append(r)
    out: FamilyFloors = {}
    for pid, reqs in by_patient.items():
        if pid not in instance.patients:
            continue
        floors = _floors_of_family(instance, pid, reqs, fasting_key.get(pid))
        if floors:
            out[pid] = floors
    return out


def _floors_of_family(
    instance: Instance, pid: int, reqs: list[Request], fasting_key: str | None
) -> dict[frozenset[int], int]:
    """One family's floors (``family_floors``): its windows and lunches per day, every split of its appointments
    between the days, the least cost of each day of a split, and per set of days counted from the first
    appointment the least total over the splits."""
    unit = RESOLUTION
    lunch_units = math.ceil(instance.lunch_minutes / unit)
    least_walk = instance.least_walk_minutes  # a lower bound whichever two buildings the family walks between
    transfer_units = math.ceil(least_walk / unit) if least_walk > 0 else 0
    days = range(instance.days)
    windows: dict[int, tuple[int, int] | None] = {}
    lunches: dict[int, tuple[int, int] | None] = {}
    for d in days:
        w = instance.patient_window(pid, d)
        span = instance.lunch_span(*w) if w else None
        windows[d] = (w[0] // unit, w[1] // unit) if w else None
        lunches[d] = (span[0] // unit, span[1] // unit - lunch_units) if span else None
    states = _day_splits(_family_todo(instance, reqs, fasting_key), windows, len(days))
    memo: dict[tuple[int, _Cell, bool], int | None] = {}
    for state in states:
        for d in days:
            busy, buildings, no_building, fast = state[d]
            w = windows[d]
            for from_first in (False, True):
                if (d, state[d], from_first) in memo:
                    continue
                memo[(d, state[d], from_first)] = (
                    (0 if busy == 0 else None)
                    if w is None
                    else _day_floor(
                        busy,
                        len(buildings) > 1 and not no_building,
                        not (d == 0 and fast),  # fasting bloods come before lunch
                        w,
                        lunches[d],
                        lunch_units,
                        transfer_units,
                        from_first,
                    )
                )
    subsets = [frozenset(d for d in days if k >> d & 1) for k in range(1 << instance.days)]
    floors: dict[frozenset[int], int] = {}
    for rel in subsets:
        best: int | None = None
        for state in states:
            costs = [memo[(d, state[d], d in rel)] for d in days]
            if all(c is not None for c in costs):
                total = sum(c for c in costs if c is not None)
                best = total if best is None else min(best, total)
        if best is not None:
            floors[rel] = best
    return floors


def _family_todo(instance: Instance, reqs: list[Request], fasting_key: str | None) -> list[_Todo]:
    """The family's appointments to place, each with the days it may go on and its building there."""
    todo: list[_Todo] = []
    for r in reqs:
        if r.pinned is not None:
            room = instance.room_for(r, r.pinned.day)
            todo.append((r.units, r.key == fasting_key, {r.pinned.day: instance.building_of(room)}))
        elif r.kind != ROUND_TABLE and r.professional_ids:
            on = {
                d: instance.building_of(instance.room_for(r, d))
                for d in range(instance.days)
                if options_window(instance, r, d) is not None
            }
            if on:
                todo.append((r.units, r.key == fasting_key, on))
    return todo


def _day_splits(todo: list[_Todo], windows: dict[int, tuple[int, int] | None], n_days: int) -> set[tuple[_Cell, ...]]:
    """Every way of splitting the appointments between the days that fits each day's window (empty when there
    are too many to keep apart: no floor for the family, which is still valid)."""
    empty: _Cell = (0, frozenset(), False, False)
    states: set[tuple[_Cell, ...]] = {tuple(empty for _ in range(n_days))}
    for units, fasting, on in todo:
        grown: set[tuple[_Cell, ...]] = set()
        for state in states:
            for d, building in on.items():
                busy, buildings, no_building, fast = state[d]
                w = windows[d]
                if w is None or busy + units > w[1] - w[0]:
                    continue
                cell = (
                    busy + units,
                    buildings | {building} if building else buildings,
                    no_building or not building,
                    fast or fasting,
                )
                grown.add((*state[:d], cell, *state[d + 1 :]))
        states = grown
        if len(states) > MAX_FLOOR_STATES:  # many days and buildings: no floor for this family (still valid)
            return set()
    return states


def add_floor_cuts(model: TimetableModel, floors: FamilyFloors) -> None:
    """Redundant cuts, valid in every timetable placing all the requests; they tighten CP-SAT's bound.

    - Each family's share of the objective is at least its floor; with some days counted from the family's first
      appointment, at least that floor plus how late those first appointments start (``family_floors``).
    - A family's first appointment of day 1 is its fasting bloods.
    - A professional sees one family at a time. For their appointments whose day is settled (pinned, or one
      possible day), in the order they start, each starts after the ones before it end; so for those that can
      start at r or later (durations p_j, P in all): sum(p_j * start_j) >= r * P + sum over pairs p_i * p_j. With
      the two above, this makes families queueing for the same professional (fasting bloods) cost in the bound.
    """
    m, instance, family_day, options = model.m, model.instance, model.family_day, model.options
    for pid, by_days in floors.items():
        days = {d: family_day[(pid, d)] for d in range(instance.days) if (pid, d) in family_day}
        if not days:
            continue
        share = sum(c for _first, _lo, c in days.values())
        for rel, floor in by_days.items():
            late = [days[d][0] - days[d][1] for d in sorted(rel) if d in days]
            m.Add(share - sum(late) >= floor)
    for r in instance.requests:
        if r.fasting and (r.patient_id, 0) in family_day:
            first = family_day[(r.patient_id, 0)][0]
            for o in options.get(r.key, []):
                if o.day == 0:
                    enforce(m.Add(first >= o.start), [o.lit])
    jobs: dict[tuple[int, int], list[tuple[int, int, Any]]] = defaultdict(list)
    for r in instance.requests:
        opts = options.get(r.key, [])
        if len(opts) != 1 or (r.kind == ROUND_TABLE and r.pinned is None):
            continue
        o = opts[0]
        if o.lit is True or r.key in model.must_place:
            for pid in r.professional_ids:
                jobs[(pid, o.day)].append((o.earliest, r.units, o.start))
    for settled in jobs.values():
        for release in sorted({e for e, _p, _s in settled}):
            later = [(p, s) for e, p, s in settled if e >= release]
            if len(later) < 2 or all(isinstance(s, int) for _p, s in later):
                continue
            total = sum(p for p, _s in later)
            pairs = (total * total - sum(p * p for p, _s in later)) // 2
            m.Add(sum(p * s for p, s in later) >= release * total + pairs)


def above_floor(instance: Instance, items: Sequence[ScheduledItem], floors: FamilyFloors) -> dict[int, int]:
    """Per family: how far its share is above the best of its floors (given its first appointments' starts)."""
    costs = family_costs(instance, items)
    firsts: dict[tuple[int, int], int] = {}
    for it in items:
        firsts[(it.patient_id, it.day)] = min(firsts.get((it.patient_id, it.day), it.start), it.start)
    out: dict[int, int] = {}
    for pid, cost in costs.items():
        best = 0
        for rel, floor in floors.get(pid, {}).items():
            late = 0
            for d in rel:
                w = instance.patient_window(pid, d)
                if w and (pid, d) in firsts:
                    late += (firsts[(pid, d)] - w[0]) // RESOLUTION
            best = max(best, floor + late)
        out[pid] = max(0, cost - best)
    return out
