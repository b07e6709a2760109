"""Repair: re-plan after a change in stages, moving as few booked appointments as possible."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from .clock import Budget, Clock
from .measures import compute_moves
from .model import ROUND_TABLE, STAGE_REPAIR, Instance, Request, ScheduledItem, ScheduleResult
from .whole_model import SolverSettings, Start, run_whole_model


def repair(
    instance: Instance,
    *,
    displaced: Mapping[str, str],
    time_limit: float = 2.5,
    seed: int = 0,
    workers: int = 2,
    on_solution: Callable[[float, float], None] | None = None,
    log: bool = False,
    deterministic: bool = False,
) -> ScheduleResult:
    """Re-plan after a change (staffing, arrival, departure, a clash booked by hand...), moving as little as possible.

    Requests carry their ``current`` placement. ``displaced`` maps the key of every booked appointment that
    breaks a rule as the timetable stands to that rule in words (``timetable_plan.rule_breaches``, from the
    independent checker); requests with no current placement are new. Every other booked appointment is
    required: it may be moved to make room for a displaced one, never dropped. Stage 1 keeps all of those where
    they are and places only the displaced and new ones: when that places every displaced one, nothing else
    moved, which is the proven minimum. Otherwise stage 2 also frees the other appointments of the displaced
    ones' families and professionals (and only those: a repair never re-plans the whole clinic; Build does),
    minimising unplaced, then moved, then waiting, from stage 1's timetable. A displaced appointment that still
    fits nowhere is left unplaced (cancelled, with the reason). New requests are placed around the booked
    timetable, never by moving it.
    """
    began = time.perf_counter()
    clock = Clock(deterministic)
    settings = SolverSettings(seed, workers, on_solution, log)
    keep_all, near = _kept_and_near(instance, displaced)
    best: ScheduleResult | None = None
    last: ScheduleResult | None = None
    stages = [(keep_all, 0.3), (keep_all - near, 1.0)]
    for keep, share in stages:
        remaining = time_limit - clock.now()
        if remaining <= 0.2 and best is not None:
            break
        budget = max(0.2, time_limit * share - clock.now())
        last = run_whole_model(
            _fixing(instance, keep),
            Budget(clock, max(0.2, min(remaining, budget))),
            Start(list(best.scheduled) if best is not None else []),
            settings,
            minimise_moves=True,
            use_hint=best is not None,
            required=keep_all - keep,
            floors={},
        )
        if last.status not in ("optimal", "feasible"):
            continue
        result = _restore(instance, last)
        if best is None or _rank(result) < _rank(best):
            best = result
        if not any(u.key in displaced for u in best.unscheduled):
            # Every appointment that broke a rule is placed, and nothing else moved (stage 1), or only as little
            # as it took. New requests are placed around the booked timetable only, never by moving it (Build
            # re-plans everything).
            break
    if best is None:
        # The appointments that break no rule cannot be kept together with the pinned ones and the breaks: say
        # so rather than drop one of them (a repair never cancels an appointment that broke no rule).
        assert last is not None
        last.message = (
            "the booked appointments that break no rule cannot all be kept with the pinned ones and the lunch "
            "breaks: check the timetable for clashes, or build it again"
        )
        best = last
    best.wall_time = time.perf_counter() - began
    best.stage = STAGE_REPAIR
    return best


def _kept_and_near(instance: Instance, displaced: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """The booked appointments kept by stage 1 (all that broke no rule), and stage 2's neighbourhood: everything
    of the families and professionals of the displaced appointments (not of a round-table's: it only needs new
    participants, or a later start, never the whole clinic re-planned)."""
    movable = [r for r in instance.requests if r.pinned is None]
    booked = {r.key for r in movable if r.current is not None}
    keep_all = booked - set(displaced)
    freed = [r for r in movable if r.key not in keep_all]
    families = {r.patient_id for r in freed if r.key in displaced and r.kind != ROUND_TABLE}
    profs = {p for r in freed if r.key in displaced and r.kind != ROUND_TABLE for p in r.professional_ids}
    near = {r.key for r in movable if r.patient_id in families or set(r.professional_ids) & profs}
    return keep_all, near


def _fixing(instance: Instance, keep: set[str]) -> Instance:
    """The instance with the ``keep`` appointments pinned where they are, in their own rooms."""
    reqs = [
        Request(**{**r.__dict__, "pinned": r.current, "room_id": r.current_room_id or r.room_id})
        if r.key in keep
        else r
        for r in instance.requests
    ]
    return Instance(**{**instance.__dict__, "requests": reqs})


def _restore(instance: Instance, result: ScheduleResult) -> ScheduleResult:
    """Kept appointments are not pinned in the result (only the really pinned ones are); the moves."""
    pinned_keys = {r.key for r in instance.requests if r.pinned is not None}
    result.scheduled = [
        ScheduledItem(**{**it.__dict__, "pinned": it.key in pinned_keys}) if it.pinned else it
        for it in result.scheduled
    ]
    result.moves = compute_moves(instance, result.scheduled)
    return result


def _rank(result: ScheduleResult) -> tuple[int, int, int]:
    return (len(result.unscheduled), len(result.moves), result.total_waiting_minutes)
