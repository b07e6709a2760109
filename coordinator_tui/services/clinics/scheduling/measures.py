"""The measures of a timetable: families' waiting, how early their days finish, moves, the build objective."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from .model import RESOLUTION, ROUND_TABLE, WAIT_WEIGHT, Instance, Move, ScheduledItem


def waiting_minutes(instance: Instance, items: Iterable[ScheduledItem]) -> dict[int, int]:
    """Per family: idle minutes between their first and last appointment of each day.

    A lunch break taken between appointments is not waiting: when the family's day has a free stretch of
    ``lunch_minutes`` inside the lunch window between their first and last appointment, that much is not counted.
    """
    by_day: dict[tuple[int, int], list[ScheduledItem]] = defaultdict(list)
    for it in items:
        by_day[(it.patient_id, it.day)].append(it)
    result = {pid: 0 for pid in instance.patients}
    for (pid, day), its in by_day.items():
        first, last = min(i.start for i in its), max(i.end for i in its)
        busy = sum(i.end - i.start for i in its)
        window = instance.patient_window(pid, day)
        lunch = 0
        if window and instance.lunch_span(*window):
            lo, hi = max(first, instance.lunch_start), min(last, instance.lunch_end)
            if _has_gap([(i.start, i.end) for i in its], lo, hi, instance.lunch_minutes):
                lunch = instance.lunch_minutes
        result[pid] = result.get(pid, 0) + max(0, last - first - busy - lunch)
    return result


def _has_gap(busy: list[tuple[int, int]], lo: int, hi: int, need: int) -> bool:
    """A free stretch of ``need`` minutes inside [lo, hi) between the busy intervals?"""
    t = lo
    for a, b in sorted(busy):
        if a >= hi:
            break
        if a - t >= need:
            return True
        t = max(t, b)
    return hi - t >= need


def finish_minutes(instance: Instance, items: Iterable[ScheduledItem]) -> int:
    """Sum over family-days of (last end - earliest possible start): the 'finish early' measure."""
    last: dict[tuple[int, int], int] = {}
    for it in items:
        last[(it.patient_id, it.day)] = max(last.get((it.patient_id, it.day), 0), it.end)
    total = 0
    for (pid, day), end in last.items():
        window = instance.patient_window(pid, day)
        total += end - (window[0] if window else instance.day_start)
    return total


def compute_moves(instance: Instance, items: Iterable[ScheduledItem]) -> list[Move]:
    """Requests whose placement differs from their current one (new bookings are not moves)."""
    placed = {it.key: it for it in items}
    moves: list[Move] = []
    for r in instance.requests:
        if r.current is None:
            continue
        it = placed.get(r.key)
        if it is None or it.day != r.current.day or it.start != r.current.start:
            moves.append(Move(r.key, r.patient_id, r.discipline, r.current, it))
    return moves


def round_table_participants(
    instance: Instance, patient_id: int, day: int, start: int, end: int, items: Iterable[ScheduledItem]
) -> tuple[int, ...]:
    """Every professional who saw the family (in ``items``) and is in clinic for the whole meeting."""
    seen: set[int] = set()
    for it in items:
        if it.patient_id == patient_id and it.kind != ROUND_TABLE:
            seen.update(it.professional_ids)
    out = []
    for pid in sorted(seen):
        s = instance.staff_day(pid, day)
        if s is not None and s.start <= start and end <= s.end:
            out.append(pid)
    return tuple(out)


def family_costs(instance: Instance, items: Sequence[ScheduledItem]) -> dict[int, int]:
    """Each family's share of the build objective (5-minute units): waiting (weighted) and finish."""
    waits = waiting_minutes(instance, items)
    mine: dict[int, list[ScheduledItem]] = defaultdict(list)
    for it in items:
        mine[it.patient_id].append(it)
    return {
        pid: WAIT_WEIGHT * waits.get(pid, 0) // RESOLUTION + finish_minutes(instance, mine[pid]) // RESOLUTION
        for pid in instance.patients
    }


def objective_weights(instance: Instance, n_movable: int | None) -> tuple[int, int]:
    """(weight of an unplaced request, weight of a moved one): each level outweighs everything below it."""
    window_units = 0
    for pid in instance.patients:
        for d in range(instance.days):
            w = instance.patient_window(pid, d)
            if w:
                window_units += (w[1] - w[0]) // RESOLUTION
    rest_max = (WAIT_WEIGHT + 1) * window_units + 1
    move_weight = rest_max if n_movable is not None else 0
    return move_weight * (n_movable or 0) + rest_max + 1, move_weight


def evaluate(instance: Instance, items: Sequence[ScheduledItem]) -> float:
    """The solver's build objective (5-minute units) for any timetable, e.g. the greedy baseline's."""
    unscheduled_weight, _ = objective_weights(instance, None)
    placed = {it.key for it in items}
    missing = sum(1 for r in instance.requests if r.key not in placed)
    wait = sum(waiting_minutes(instance, items).values()) // RESOLUTION
    return float(unscheduled_weight * missing + WAIT_WEIGHT * wait + finish_minutes(instance, items) // RESOLUTION)
