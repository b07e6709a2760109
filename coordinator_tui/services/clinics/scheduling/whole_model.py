"""One CP-SAT solve of the whole model: from a start timetable, within a budget, to a ``ScheduleResult``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .bounds import FamilyFloors, add_floor_cuts
from .clock import Budget
from .cpsat_model import TimetableModel
from .explanations import explain_unscheduled
from .measures import compute_moves, evaluate, waiting_minutes
from .model import (
    STAGE_HEURISTIC,
    STAGE_WHOLE_MODEL,
    Instance,
    ScheduledItem,
    ScheduleResult,
    Unscheduled,
    objective_gap,
)

WHOLE_MODEL_MIN_SECONDS = 0.1  # the least time the whole model is given, however little is left


@dataclass(frozen=True)
class SolverSettings:
    """How CP-SAT runs: its seed and workers, the progress callback, and its own log."""

    seed: int = 0
    workers: int = 2
    on_solution: Callable[[float, float], None] | None = None  # (objective, seconds since the build began)
    log: bool = False


@dataclass
class Start:
    """The timetable a solve starts from (its hint) and the stage that found it. ``keep_if_better``: a build,
    which returns this timetable when the whole model finds nothing better."""

    items: list[ScheduledItem] = field(default_factory=list)
    stage: str = STAGE_HEURISTIC
    keep_if_better: bool = False


def run_whole_model(
    instance: Instance,
    budget: Budget,
    start: Start,
    settings: SolverSettings,
    *,
    minimise_moves: bool = False,
    use_hint: bool = True,
    required: Iterable[str] = (),
    all_required: bool = False,
    floors: FamilyFloors | None = None,
    blocked: Sequence[ScheduledItem] = (),
) -> ScheduleResult:
    """Solve the whole model for the rest of ``budget``.

    ``required`` keys must be placed; ``all_required`` makes every request mandatory, as does a start that places
    them all (a build). ``floors`` add the redundant cuts when requests are mandatory; ``blocked`` are other
    families' fixed appointments, which only hold their professionals and rooms.
    """
    start_from = start.items
    must_place: set[str] = set(required)
    if all_required or (not minimise_moves and start_from and len(start_from) == len(instance.requests)):
        must_place = {r.key for r in instance.requests}
    if not must_place:
        floors = {}
    floors = floors or {}
    model = TimetableModel(instance, must_place)
    model.build(blocked)
    if floors:
        add_floor_cuts(model, floors)
    if minimise_moves:
        model.add_stays()
    model.minimise(minimise_moves)
    if use_hint:  # from the start timetable, else from the current placements (repair)
        if start_from:
            hints = {it.key: (it.day, it.start) for it in start_from}
        else:
            hints = {r.key: (r.current.day, r.current.start) for r in instance.requests if r.current is not None}
        model.add_hints(hints)
    # (Not for one family placed around blocked appointments: its small solve does as well from the bare hint, and
    # the hint there often clashes with what changed around it.)
    if use_hint and start_from and not minimise_moves and not blocked:
        hints = {it.key: (it.day, it.start) for it in start_from}
        model.complete_hint(hints, settings.seed, min(1.0, budget.seconds / 5), budget.clock)
    return _solved(instance, model, budget, start, settings, minimise_moves, floors)


def _solved(
    instance: Instance,
    model: TimetableModel,
    budget: Budget,
    start: Start,
    settings: SolverSettings,
    minimise_moves: bool,
    floors: FamilyFloors,
) -> ScheduleResult:
    """Run CP-SAT on ``model`` and read its result (an earlier stage's timetable when a build's whole model does
    worse)."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    budget.clock.limit(solver, max(WHOLE_MODEL_MIN_SECONDS, budget.seconds - budget.elapsed()), settings.workers)
    solver.parameters.random_seed = settings.seed
    solver.parameters.log_search_progress = settings.log
    if minimise_moves:
        solver.parameters.repair_hint = True
    status = solver.Solve(model.m, _progress(settings.on_solution, budget.wall()))
    budget.clock.charge(solver)
    elapsed = budget.wall()
    names = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
        cp_model.MODEL_INVALID: "invalid",
    }
    status_name = names.get(status, "unknown")
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    # The families' floors add up to a proven bound too (every term of the objective is at least zero); it stands
    # in when the solver stopped before its own bound reached it.
    floor_bound = float(sum(f.get(frozenset(), 0) for f in floors.values()))
    whole: list[ScheduledItem] | None = None
    start_from = start.items
    if start.keep_if_better and start_from and status not in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        # Never worse than an earlier stage: when the whole model found nothing in the time left (e.g. under load),
        # or something worse, the build returns the earlier stage's timetable, by the same objective.
        earlier = (len(start_from), -evaluate(instance, start_from))
        whole = model.read_solution(solver) if found else None
        if whole is None or (len(whole), -evaluate(instance, whole)) < earlier:
            bound_value = max(b for b in (solver.BestObjectiveBound(), floor_bound) if math.isfinite(b))
            result = result_of(instance, start_from, "feasible", bound_value, elapsed, start.stage)
            result.message = (
                f"the whole model found no better timetable within {budget.seconds:g} s; "
                f"this one is from the {start.stage} stage"
            )
            return result
    if not found:
        return _nothing_found(instance, status_name, status == cp_model.INFEASIBLE, budget.seconds, elapsed)
    scheduled = whole if whole is not None else model.read_solution(solver)
    return result_of(
        instance,
        scheduled,
        status_name,
        max(solver.BestObjectiveBound(), floor_bound),
        elapsed,
        STAGE_WHOLE_MODEL,
        objective=solver.ObjectiveValue(),
    )


def _progress(on_solution: Callable[[float, float], None] | None, offset: float) -> Any:
    """A solution callback reporting each improving timetable (``offset``: seconds since the build began), or
    None."""
    if on_solution is None:
        return None
    from ortools.sat.python import cp_model

    class _Progress(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            on_solution(self.ObjectiveValue(), offset + self.WallTime())

    return _Progress()


def _nothing_found(
    instance: Instance, status_name: str, infeasible: bool, time_limit: float, elapsed: float
) -> ScheduleResult:
    message = (
        "the pinned appointments and lunch breaks cannot all be kept: check pinned appointments for clashes"
        if infeasible
        else f"no timetable found within {time_limit:g} s: try a longer time limit"
    )
    return ScheduleResult(
        status_name,
        [],
        [Unscheduled(r.key, r.patient_id, r.discipline, message) for r in instance.requests],
        0,
        {},
        None,
        None,
        None,
        elapsed,
        [],
        message,
    )


def result_of(
    instance: Instance,
    scheduled: list[ScheduledItem],
    status: str,
    bound: float | None,
    elapsed: float,
    stage: str,
    objective: float | None = None,
) -> ScheduleResult:
    """A result for ``scheduled`` (objective by ``evaluate`` unless given; the gap only with a useful bound)."""
    placed = {it.key for it in scheduled}
    unscheduled = [
        Unscheduled(r.key, r.patient_id, r.discipline, explain_unscheduled(instance, r, scheduled))
        for r in instance.requests
        if r.key not in placed
    ]
    waits = waiting_minutes(instance, scheduled)
    obj = evaluate(instance, scheduled) if objective is None else objective
    moves = compute_moves(instance, scheduled) if any(r.current for r in instance.requests) else []
    return ScheduleResult(
        status=status,
        scheduled=scheduled,
        unscheduled=unscheduled,
        total_waiting_minutes=sum(waits.values()),
        waiting_by_patient=waits,
        objective=obj,
        bound=bound,
        gap=objective_gap(status, obj, bound),
        wall_time=elapsed,
        moves=moves,
        stage=stage,
    )
