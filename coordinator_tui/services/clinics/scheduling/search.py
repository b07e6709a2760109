"""The build: a start timetable, improved family by family, then the whole model for CP-SAT's proven bound.

``solve`` runs every stage (a full build; with ``minimise_moves`` or a ``hint``, the whole model alone);
``solve_whole_model`` is the whole model alone, from a given start (one family placed around fixed appointments,
or a family alone at the clinic); ``insertion_timetable`` and ``improve_by_families`` are the build's two stages.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from .bounds import FamilyFloors, above_floor, family_floors
from .clock import Budget, Clock
from .heuristics import best_heuristic, greedy_timetable
from .measures import evaluate
from .model import (
    STAGE_HEURISTIC,
    STAGE_IMPROVEMENT,
    STAGE_INSERTION,
    Instance,
    Placement,
    Request,
    ScheduledItem,
    ScheduleResult,
)
from .whole_model import SolverSettings, Start, run_whole_model
from .windows import item_at

WHOLE_MODEL_SHARE = 0.05  # the whole model's share of a build's time (the last part, mostly for its bound)


def solve(
    instance: Instance,
    *,
    time_limit: float = 10.0,
    minimise_moves: bool = False,
    seed: int = 0,
    workers: int = 2,
    on_solution: Callable[[float, float], None] | None = None,
    use_hint: bool = True,
    hint: Sequence[ScheduledItem] | None = None,
    log: bool = False,
    required: Iterable[str] = (),
    deterministic: bool = False,
) -> ScheduleResult:
    """Build (or, with ``minimise_moves``, repair) a timetable with CP-SAT within ``time_limit`` seconds.

    ``on_solution(objective, seconds)`` is called at each improving timetable (progress), from the solver thread.
    ``required`` keys must be placed (repair: appointments that broke no rule are moved, never dropped).
    ``deterministic=True`` counts CP-SAT's deterministic time instead of seconds, with one worker (``Clock``).
    A build (no ``hint``, not ``minimise_moves``, more than one family) starts from the better of the hand
    heuristics and family-by-family placement, improves it by ruin and recreate, then runs the whole model.
    """
    budget = Budget(Clock(deterministic), time_limit)
    settings = SolverSettings(seed, workers, on_solution, log)
    start = Start(list(hint) if hint is not None else (best_heuristic(instance) if use_hint else []))
    # Levels 2 and 3 bounded per family (redundant cuts, see family_floors): cheap, exact over how the family's
    # appointments split between days, blind to the other families.
    floors: FamilyFloors = {} if minimise_moves else family_floors(instance)
    if use_hint and hint is None and not minimise_moves and len(instance.patients) > 1:
        start = _build_start(instance, start.items, floors, budget, settings)
    return run_whole_model(
        instance,
        budget,
        start,
        settings,
        minimise_moves=minimise_moves,
        use_hint=use_hint,
        required=required,
        floors=floors,
    )


def solve_whole_model(
    instance: Instance,
    *,
    time_limit: float,
    hint: Sequence[ScheduledItem] | None = None,
    seed: int = 0,
    workers: int = 2,
    deterministic: bool = False,
    clock: Clock | None = None,
    all_required: bool = False,
    floors: FamilyFloors | None = None,
    blocked: Sequence[ScheduledItem] = (),
) -> ScheduleResult:
    """The whole model alone, from ``hint`` (else the better hand heuristic): no start-timetable stages.

    ``clock`` is the calling stage's (else a new one, ``deterministic`` or not); ``all_required`` makes every
    request mandatory; ``floors`` are precomputed ``family_floors`` (else computed); ``blocked`` are other
    families' fixed appointments, which only hold their professionals and rooms.
    """
    budget = Budget(clock if clock is not None else Clock(deterministic), time_limit)
    start = Start(list(hint) if hint is not None else best_heuristic(instance))
    return run_whole_model(
        instance,
        budget,
        start,
        SolverSettings(seed, workers),
        all_required=all_required,
        floors=floors if floors is not None else family_floors(instance),
        blocked=blocked,
    )


def _build_start(
    instance: Instance,
    start_from: list[ScheduledItem],
    floors: FamilyFloors,
    budget: Budget,
    settings: SolverSettings,
) -> Start:
    """A better start: each family in turn placed optimally around the families before it (small CP-SAT solves),
    kept when it beats the hand heuristics; then improved by taking families off and putting them back (ruin and
    recreate). The whole model then runs for the rest of the time from that timetable."""
    time_limit, clock, on_solution = budget.seconds, budget.clock, settings.on_solution
    stage = STAGE_HEURISTIC
    inserted = insertion_timetable(instance, time_limit * 0.2, settings.seed, settings.workers, floors, clock)
    if (len(inserted), -evaluate(instance, inserted)) > (len(start_from), -evaluate(instance, start_from)):
        start_from, stage = inserted, STAGE_INSERTION
    if start_from:
        # Improved with the requests it placed (one that fits nowhere, say a round-table with no time left at
        # the end of the day, stays unplaced rather than holding the whole improvement back).
        placed_keys = {it.key for it in start_from}
        placed_only = instance
        if len(placed_keys) < len(instance.requests):
            placed_only = Instance(
                **{**instance.__dict__, "requests": [r for r in instance.requests if r.key in placed_keys]}
            )
        before = evaluate(instance, start_from)
        improved = improve_by_families(
            placed_only,
            start_from,
            budget.began + time_limit * (1 - WHOLE_MODEL_SHARE),
            settings.seed,
            settings.workers,
            floors if placed_only is instance else family_floors(placed_only),
            clock,
            (lambda value: on_solution(value, time.perf_counter() - budget.began_wall)) if on_solution else None,
        )
        if evaluate(instance, improved) < before:
            stage = STAGE_IMPROVEMENT
        start_from = improved
    return Start(start_from, stage, keep_if_better=True)


def family_instance(instance: Instance, pid: int, fixed: Sequence[ScheduledItem] = ()) -> Instance:
    """The instance with only family ``pid``'s requests to place; ``fixed`` items become pinned appointments."""
    reqs = [
        Request(
            key=it.key,
            patient_id=it.patient_id,
            discipline=it.discipline,
            minutes=it.end - it.start,
            professional_ids=it.professional_ids,
            kind=it.kind,
            # no room (a round-table): a room of its own, so its professionals' rooms are not taken
            room_id=it.room_id if it.room_id is not None else -1 - n,
            pinned=Placement(it.day, it.start),
        )
        for n, it in enumerate(fixed)
    ]
    reqs += [r for r in instance.requests if r.patient_id == pid]
    patients = {p: instance.patients[p] for p in {pid, *(it.patient_id for it in fixed)}}
    return Instance(**{**instance.__dict__, "requests": reqs, "patients": patients})


def families_only(instance: Instance, pids: Iterable[int]) -> Instance:
    """The instance with only these families (their requests and themselves)."""
    keep = set(pids)
    return Instance(
        **{
            **instance.__dict__,
            "requests": [r for r in instance.requests if r.patient_id in keep],
            "patients": {p: instance.patients[p] for p in sorted(keep) if p in instance.patients},
        }
    )


def insertion_timetable(
    instance: Instance, budget: float, seed: int, workers: int, floors: FamilyFloors, clock: Clock
) -> list[ScheduledItem]:
    """Family by family (earliest arrival first), each placed by a small CP-SAT solve around those before it."""
    began = clock.now()
    pids = sorted(
        {r.patient_id for r in instance.requests},
        key=lambda p: (
            instance.patients[p].arrival or 0,
            -sum(r.units for r in instance.requests if r.patient_id == p),
            p,
        ),
    )
    items: list[ScheduledItem] = []
    for k, pid in enumerate(pids):
        placed = {it.key for it in items}
        if budget - (clock.now() - began) <= 0.05:  # out of time: the rest first fit around these
            rest = set(pids[k:])
            sub = family_instance(instance, pids[k], items)
            sub.requests = [r for r in sub.requests if r.pinned is not None] + [
                r for r in instance.requests if r.patient_id in rest
            ]
            sub.patients = {**sub.patients, **{p: instance.patients[p] for p in rest}}
            items += [it for it in greedy_timetable(sub) if it.patient_id in rest]
            break
        others_pinned = [
            item_at(instance, r, r.pinned.day, r.pinned.start, r.professional_ids)
            for r in instance.requests
            if r.pinned is not None and r.patient_id != pid and r.key not in placed
        ]
        blocked = items + others_pinned
        first_fit = [it for it in greedy_timetable(family_instance(instance, pid, blocked)) if it.patient_id == pid]
        # Every appointment of the family required first (a small model CP-SAT solves fast); if that fails in
        # time, the family's appointments optional (an unplaced one costs the most).
        res = None
        for required in (True, False):
            res = solve_whole_model(
                families_only(instance, [pid]),
                hint=first_fit,
                time_limit=max(0.05, budget - (clock.now() - began)) / (len(pids) - k),
                workers=workers,
                seed=seed,
                clock=clock,
                all_required=required,
                floors={pid: floors[pid]} if pid in floors else {},
                blocked=blocked,
            )
            if res.status in ("optimal", "feasible") and not res.unscheduled:
                break
        if res is None or res.status not in ("optimal", "feasible"):
            return []
        items += res.scheduled
    return items


def improve_by_families(
    instance: Instance,
    items: list[ScheduledItem],
    deadline: float,
    seed: int,
    workers: int,
    floors: FamilyFloors,
    clock: Clock,
    on_better: Callable[[float], None] | None = None,
) -> list[ScheduledItem]:
    """Ruin and recreate by families, until ``deadline`` (``clock.now()``): take two or three families off
    the timetable and put them back one at a time in random order, each optimally around everyone else's
    appointments (a small CP-SAT solve); keep the result when it is no worse. The first family is drawn by how far
    its share is above its floor, the others among the families seeing the same professionals within 90 minutes
    of its appointments. ``workers`` searches run side by side (threads, one solver worker each) on the same
    timetable, each trying its own families."""
    pids = sorted({r.patient_id for r in instance.requests if r.patient_id in instance.patients})
    if len(pids) < 2:
        return items
    search = _RuinAndRecreate(instance, items, pids, deadline, seed, floors, clock, on_better)
    lanes = [
        threading.Thread(target=search.run, args=(lane,), daemon=True)
        for lane in range(1, max(1, clock.workers(workers)))
    ]
    for t in lanes:
        t.start()
    search.run(0)
    for t in lanes:
        t.join()
    return search.best_items


class _RuinAndRecreate:
    """The best timetable so far, shared by the lanes of ``improve_by_families`` (under a lock)."""

    def __init__(
        self,
        instance: Instance,
        items: list[ScheduledItem],
        pids: list[int],
        deadline: float,
        seed: int,
        floors: FamilyFloors,
        clock: Clock,
        on_better: Callable[[float], None] | None,
    ) -> None:
        self.instance, self.pids, self.deadline, self.seed = instance, pids, deadline, seed
        self.floors, self.clock, self.on_better = floors, clock, on_better
        self.lock = threading.Lock()
        self.best_items, self.best_value = items, evaluate(instance, items)

    def run(self, lane: int) -> None:
        """One lane: ruin and recreate until the deadline, from the best timetable at each try."""
        rng = random.Random(self.seed * 1009 + lane)
        tries = 0
        while self.deadline - self.clock.now() > 0.1:
            with self.lock:
                current = self.best_items
            chosen = self._choose(current, rng)
            candidate = self._recreate(current, chosen, self.seed + lane + tries)
            tries += 1
            if candidate is None:
                continue
            value = evaluate(self.instance, candidate)
            with self.lock:
                if value <= self.best_value:  # a whole timetable of its own: no matter what changed meanwhile
                    if value < self.best_value and self.on_better is not None:
                        self.on_better(value)
                    self.best_items, self.best_value = candidate, value

    def _choose(self, current: list[ScheduledItem], rng: random.Random) -> list[int]:
        """Two or three families: one drawn by how far it is above its floor, the others near it."""
        pids = self.pids
        above = above_floor(self.instance, current, self.floors)
        target = rng.choices(pids, weights=[(above[p] + 1) ** 2 for p in pids])[0]
        near = {p: 1 for p in pids if p != target}
        mine = [it for it in current if it.patient_id == target]
        for b in current:
            if b.patient_id != target:
                near[b.patient_id] += sum(
                    1
                    for a in mine
                    if a.day == b.day
                    and abs(a.start - b.start) <= 90
                    and set(a.professional_ids) & set(b.professional_ids)
                )
        chosen = [target]
        for _ in range(rng.randint(2, min(3, len(pids))) - 1):
            partner = rng.choices(list(near), weights=list(near.values()))[0]
            chosen.append(partner)
            del near[partner]
        rng.shuffle(chosen)
        return chosen

    def _recreate(self, current: list[ScheduledItem], chosen: list[int], seed: int) -> list[ScheduledItem] | None:
        """The timetable without the ``chosen`` families, then each put back in turn (None if one does not fit
        or time runs out)."""
        candidate: list[ScheduledItem] | None = [it for it in current if it.patient_id not in chosen]
        for pid in chosen:
            left = self.deadline - self.clock.now()
            if candidate is None or left <= 0.05:
                return None
            res = solve_whole_model(
                families_only(self.instance, [pid]),
                hint=[it for it in current if it.patient_id == pid],
                time_limit=min(0.1, left),
                workers=1,
                seed=seed,
                clock=self.clock,
                all_required=True,
                floors={pid: self.floors[pid]} if pid in self.floors else {},
                blocked=candidate,
            )
            ok = res.status in ("optimal", "feasible") and not res.unscheduled
            candidate = candidate + res.scheduled if ok else None
        return candidate
