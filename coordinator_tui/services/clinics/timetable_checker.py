"""An independent checker for clinic timetables: verifies every rule on any timetable, without the solver.

``check_timetable(instance, items) -> list[Violation]`` takes the plain dataclasses of ``scheduling.model``
(an ``Instance`` and a list of ``ScheduledItem``) and recomputes every rule from the raw input fields (it does
not call the solver nor reuse its window helpers), so tests can hold the solver's output to the rules. An empty
list means the timetable keeps every rule. Each ``Violation`` has a ``rule`` code, a message in words and the
keys of the appointments involved. Rule codes:

``unknown``, ``duplicate``, ``grid``, ``duration``, ``day``, ``professionals``, ``professional_hours``,
``professional_overlap``, ``room_overlap``, ``patient_overlap``, ``patient_window``, ``transfer``, ``fasting``,
``lunch``, ``round_table``, ``pinned``.

``unplaced(instance, items)`` lists the request keys with no item (not a rule breach: the solver reports why).

The instance's ``outside_plan`` appointments (kept as booked, not part of the plan) count for the
one-at-a-time rules: an item overlapping one of them breaks ``professional_overlap`` or ``room_overlap``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coordinator_tui.services.clinics.scheduling.model import ROUND_TABLE, Instance, Request, ScheduledItem

GRID = 5


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    keys: tuple[str, ...] = ()  # the appointments involved (for lunch: those inside the lunch window that day)
    professional_id: int | None = None  # whose hours or lunch, when the rule is about a professional
    patient_id: int | None = None  # whose day or lunch, when the rule is about a family
    day: int | None = None
    room_id: int | None = None
    minutes: int | None = None  # for a walk between buildings: how long it takes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _round_up(minutes: int) -> int:
    return -(-minutes // GRID) * GRID


def _family_hours(instance: Instance, patient_id: int, day: int) -> tuple[int, int]:
    """Earliest start and latest end for the family that day (may be empty: start >= end)."""
    patient = instance.patients[patient_id]
    start = max(instance.day_start, instance.child_day_start if patient.is_child else instance.adult_day_start)
    end = min(instance.day_end, instance.child_day_end if patient.is_child else instance.adult_day_end)
    if day == 0 and patient.arrival is not None:
        start = max(start, patient.arrival)
    if day == instance.days - 1 and patient.departure is not None:
        end = min(end, patient.departure)
    return start, end


def _hours(instance: Instance, professional_id: int, day: int) -> tuple[int, int] | None:
    for s in instance.staffing:
        if s.professional_id == professional_id and s.day == day:
            return s.start, s.end
    return None


def _has_free_gap(busy: Iterable[tuple[int, int]], lo: int, hi: int, need: int) -> bool:
    """Is there a free stretch of ``need`` minutes inside [lo, hi) given busy intervals?"""
    t = lo
    for a, b in sorted(busy):
        if b <= t:
            continue
        if a >= hi:
            break
        if a - t >= need:
            return True
        t = max(t, b)
    return hi - t >= need


def _pairwise_overlaps(
    entries: Sequence[tuple[int, int, str]],
) -> Iterable[tuple[tuple[int, int, str], tuple[int, int, str]]]:
    ordered = sorted(entries)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b[0] >= a[1]:
                break
            yield a, b


def _inside(entries: Iterable[tuple[int, int, str]], lo: int, hi: int, outside: set[str]) -> tuple[str, ...]:
    """The plan's appointments among ``entries`` that overlap [lo, hi)."""
    return tuple(key for a, b, key in sorted(entries) if a < hi and lo < b and key not in outside)


def check_timetable(instance: Instance, items: Sequence[ScheduledItem]) -> list[Violation]:
    out: list[Violation] = []
    requests: dict[str, Request] = {r.key: r for r in instance.requests}
    seen_keys: set[str] = set()
    valid: list[ScheduledItem] = []
    for it in items:
        if it.key not in requests:
            out.append(Violation("unknown", f"appointment {it.key} matches no request", (it.key,)))
            continue
        if it.key in seen_keys:
            out.append(Violation("duplicate", f"appointment {it.key} is placed twice", (it.key,)))
            continue
        seen_keys.add(it.key)
        valid.append(it)
        r = requests[it.key]
        if it.start % GRID or it.end % GRID:
            out.append(Violation("grid", f"{it.key} is off the {GRID}-minute grid", (it.key,)))
        if it.end - it.start != _round_up(r.minutes):
            out.append(Violation("duration", f"{it.key} lasts {it.end - it.start} min, needs {r.minutes}", (it.key,)))
        if not 0 <= it.day < instance.days:
            out.append(Violation("day", f"{it.key} is on day {it.day + 1}, outside the clinic", (it.key,)))
        if r.kind != ROUND_TABLE and set(it.professional_ids) != set(r.professional_ids):
            out.append(Violation("professionals", f"{it.key} does not have all (only) its professionals", (it.key,)))
        if r.pinned is not None and (it.day, it.start) != (r.pinned.day, r.pinned.start):
            out.append(Violation("pinned", f"pinned {it.key} was moved", (it.key,)))
        # Professionals' hours.
        for pid in it.professional_ids:
            hours = _hours(instance, pid, it.day)
            if hours is None or it.start < hours[0] or it.end > hours[1]:
                out.append(
                    Violation(
                        "professional_hours",
                        f"{it.key}: professional {pid} is not in clinic {_clock(it.start)}-{_clock(it.end)} "
                        f"on day {it.day + 1}",
                        (it.key,),
                        professional_id=pid,
                        day=it.day,
                    )
                )
        # The family's window: arrival, departure, child/adult end of day.
        lo, hi = _family_hours(instance, it.patient_id, it.day)
        if it.start < lo or it.end > hi:
            out.append(
                Violation(
                    "patient_window",
                    f"{it.key} at {_clock(it.start)}-{_clock(it.end)} is outside the family's "
                    f"{_clock(lo)}-{_clock(hi)} on day {it.day + 1}",
                    (it.key,),
                    patient_id=it.patient_id,
                    day=it.day,
                )
            )
    for r in instance.requests:
        if r.pinned is not None and r.key not in seen_keys:
            out.append(Violation("pinned", f"pinned {r.key} was dropped", (r.key,)))

    # One at a time: professionals, rooms, families.
    per_prof: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
    per_room: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
    per_patient: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
    outside = {it.key for it in instance.outside_plan}
    for it in [*valid, *instance.outside_plan]:
        for pid in it.professional_ids:
            per_prof[(pid, it.day)].append((it.start, it.end, it.key))
        if it.room_id is not None:
            per_room[(it.room_id, it.day)].append((it.start, it.end, it.key))
        per_patient[(it.patient_id, it.day)].append((it.start, it.end, it.key))
    for kind, table in (("professional", per_prof), ("room", per_room), ("patient", per_patient)):
        for (who, day), entries in table.items():
            for a, b in _pairwise_overlaps(entries):
                if a[2] in outside and b[2] in outside:
                    continue  # both kept as booked: not this plan's doing
                out.append(
                    Violation(
                        f"{kind}_overlap",
                        f"{a[2]} and {b[2]} overlap ({kind} {who}, day {day + 1})",
                        (a[2], b[2]),
                        day=day,
                        **{f"{kind}_id": who},
                    )
                )

    # Transfers between buildings: consecutive appointments of a family on one day.
    by_key = {it.key: it for it in [*valid, *instance.outside_plan]}

    def building(it: ScheduledItem) -> str:
        room = instance.rooms.get(it.room_id) if it.room_id is not None else None
        return room.building if room else ""

    for (family, day), entries in per_patient.items():
        ordered = sorted(entries)
        for i, (_s, e, key) in enumerate(ordered):
            for s2, _e2, key2 in ordered[i + 1 :]:
                b1, b2 = building(by_key[key]), building(by_key[key2])
                if key in outside and key2 in outside:
                    continue
                walk = instance.walk_minutes(b1, b2)
                if walk > 0 and s2 - e < walk:
                    out.append(
                        Violation(
                            "transfer",
                            f"{key} ({b1}) and {key2} ({b2}) are {s2 - e} min apart; the walk takes {walk}",
                            (key, key2),
                            patient_id=family,
                            day=day,
                            minutes=walk,
                        )
                    )

    # Fasting bloods first thing on day 1.
    fasting_end: dict[int, int] = {}
    for it in valid:
        if not requests[it.key].fasting:
            continue
        if it.day != 0:
            out.append(
                Violation("fasting", f"fasting bloods {it.key} are not on day 1", (it.key,), patient_id=it.patient_id)
            )
            continue
        fasting_end[it.patient_id] = it.end
        for s, _e, key in per_patient[(it.patient_id, 0)]:
            if key != it.key and s < it.end:
                out.append(
                    Violation(
                        "fasting",
                        f"{key} comes before fasting bloods {it.key}",
                        (key, it.key),
                        patient_id=it.patient_id,
                        day=0,
                    )
                )

    # Lunch: everyone whose day overlaps the lunch window by at least a lunch break gets one inside it.
    need = instance.lunch_minutes
    for s in instance.staffing:
        lo, hi = max(s.start, instance.lunch_start), min(s.end, instance.lunch_end)
        lo, hi = _round_up(lo), hi // GRID * GRID
        if hi - lo >= need:
            entries = per_prof.get((s.professional_id, s.day), [])
            if not _has_free_gap([(a, b) for a, b, _k in entries], lo, hi, need):
                out.append(
                    Violation(
                        "lunch",
                        f"professional {s.professional_id} has no {need}-minute lunch on day {s.day + 1}",
                        _inside(entries, lo, hi, outside),
                        professional_id=s.professional_id,
                        day=s.day,
                    )
                )
    for pid in instance.patients:
        for day in range(instance.days):
            flo, fhi = _family_hours(instance, pid, day)
            flo, fhi = _round_up(flo), fhi // GRID * GRID
            lo, hi = _round_up(max(flo, instance.lunch_start)), min(fhi, instance.lunch_end) // GRID * GRID
            if hi - lo < need:
                continue
            if day == 0 and pid in fasting_end:
                lo = max(lo, fasting_end[pid])
            entries = per_patient.get((pid, day), [])
            if not _has_free_gap([(a, b) for a, b, _k in entries], lo, hi, need):
                out.append(
                    Violation(
                        "lunch",
                        f"family {pid} has no {need}-minute lunch on day {day + 1}",
                        _inside(entries, lo, hi, outside),
                        patient_id=pid,
                        day=day,
                    )
                )

    # Round-table: last day, after the family's other appointments, with all who saw them and are still here.
    last = instance.days - 1
    for it in valid:
        if requests[it.key].kind != ROUND_TABLE:
            continue
        if not instance.round_table:
            continue
        if it.day != last:
            out.append(Violation("round_table", f"round-table {it.key} is not on the last day", (it.key,)))
        others = [o for o in valid if o.patient_id == it.patient_id and o.key != it.key]
        for o in others:
            if (o.day, o.end) > (it.day, it.start):
                out.append(Violation("round_table", f"{o.key} is after the round-table {it.key}", (o.key, it.key)))
        saw = {pid for o in others for pid in o.professional_ids}
        for pid in sorted(saw):
            hours = _hours(instance, pid, it.day)
            if hours and hours[0] <= it.start and it.end <= hours[1] and pid not in it.professional_ids:
                out.append(
                    Violation(
                        "round_table",
                        f"professional {pid} saw family {it.patient_id}, is still in clinic but misses the round-table",
                        (it.key,),
                    )
                )
        for pid in it.professional_ids:
            if pid not in saw:
                out.append(
                    Violation("round_table", f"professional {pid} at {it.key} did not see the family", (it.key,))
                )
    return out


def unplaced(instance: Instance, items: Iterable[ScheduledItem]) -> list[str]:
    placed = {it.key for it in items}
    return [r.key for r in instance.requests if r.key not in placed]
