"""The time a build or repair spends, wall-clock or CP-SAT's deterministic time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

LEAST_CHARGE = 0.02  # deterministic time a solve costs at least (a deterministic Clock)


class Clock:
    """The time a build or repair has spent, shared by its stages and every CP-SAT solve in it.

    By default wall-clock seconds, as the nurse waits them. With ``deterministic=True`` it counts CP-SAT's
    deterministic time instead (work done, not seconds passed) and runs one search worker, so the same instance
    and seed give the same timetable however busy the machine is: the tests use it, the product does not.
    """

    def __init__(self, deterministic: bool = False) -> None:
        self.deterministic = deterministic
        self.began = time.perf_counter()
        self.spent = 0.0  # deterministic time of the solves so far

    def now(self) -> float:
        return self.spent if self.deterministic else time.perf_counter() - self.began

    def workers(self, wanted: int) -> int:
        return 1 if self.deterministic else wanted

    def limit(self, solver: Any, seconds: float, workers: int) -> None:
        """Give ``solver`` (a CpSolver) ``seconds`` of this clock's time and its workers."""
        if self.deterministic:
            solver.parameters.max_deterministic_time = float(seconds)
        else:
            solver.parameters.max_time_in_seconds = float(seconds)
        solver.parameters.num_search_workers = self.workers(workers)

    def charge(self, solver: Any) -> None:
        """Count a finished solve (deterministic time only: wall-clock time passes by itself). Each solve costs at
        least ``LEAST_CHARGE``, so a stage of many tiny solves (ruin and recreate) also ends in a number of steps
        known in advance."""
        if self.deterministic:
            self.spent += max(LEAST_CHARGE, solver.deterministic_time)


@dataclass
class Budget:
    """One solve's share of a clock: ``seconds`` from when it began (by the clock), and the wall time since then
    (progress is reported in wall seconds since the build began)."""

    clock: Clock
    seconds: float
    began_wall: float = field(default_factory=time.perf_counter)
    began: float = 0.0

    def __post_init__(self) -> None:
        self.began = self.clock.now()

    def elapsed(self) -> float:
        return self.clock.now() - self.began

    def wall(self) -> float:
        return time.perf_counter() - self.began_wall
