"""Two-day combined clinic timetables with OR-Tools CP-SAT, on plain dataclasses (no database here).

Times are minutes since local midnight of a clinic day (``day`` is 0 for the first clinic day). The solver works
at a 5-minute resolution (``RESOLUTION``): durations are rounded up, windows inwards.

Inputs: an ``Instance`` (clinic days and hours, lunch window, transfer minutes, professionals' hours per day
(``StaffDay``), rooms with their building, patients with arrival/departure, and ``Request`` s: one per needed
appointment, with its professionals, kind, fasting flag, optional pinned placement and current placement).

A package: ``model`` (the instance and result dataclasses), ``measures`` (waiting, finish, moves, the build
objective), ``heuristics`` (first fit, dispatch), ``explanations`` (why a request could not be placed), ``bounds``
(family floors and the cuts built on them), ``cpsat_model`` (``TimetableModel``: the CP-SAT model, one method per
rule), ``whole_model`` (one solve of it), ``search`` (the build's stages) and ``repair``.

Public API (the UI and CLI call these):

- ``solve(instance, *, time_limit=10.0, minimise_moves=False, seed=0, workers=2, on_solution=None)
  -> ScheduleResult``: build a timetable. ``minimise_moves=True`` is *repair*: requests carrying a ``current``
  placement stay put unless moving them is needed; the result's ``moves`` lists before -> after.
- ``solve_whole_model(instance, *, time_limit, hint=None, ...)``: the whole model alone, with none of the build's
  start stages (one family placed around ``blocked`` appointments, or alone at the clinic).
- ``repair(instance, *, displaced, time_limit=2.5, ...) -> ScheduleResult``: re-plan after a change in two stages
  (keep all still-valid appointments, then free the touched families and professionals), fewest moves.
- ``dispatch_timetable(instance)``: a dense list schedule used as a starting hint.
- ``evaluate(instance, items)``: the build objective of any timetable (to compare the baseline).
- ``greedy_timetable(instance) -> list[ScheduledItem]``: the first-fit baseline (what a person does by hand),
  also used as the solver's starting hint.
- ``waiting_minutes(instance, items) -> dict[patient_id, int]``: families' waiting between appointments.
- ``explain_unscheduled(instance, request, items) -> str``: the binding reason a request could not be placed.
- ``compute_moves(instance, items) -> list[Move]``: differences from the requests' current placements.

Constraints modelled: a professional sees one patient at a time and only within their hours that day; a room
holds one appointment at a time; a patient is in one appointment at a time, not before arrival on day 1 nor after
departure on the last day, with the walk between appointments in different buildings (``walks`` for a pair the
venue sets, else ``transfer_minutes``); fasting bloods first thing on day 1; a lunch break of ``lunch_minutes``
inside the lunch window for every professional-day and
patient-day the window overlaps enough; a child's day runs from ``child_day_start`` to ``child_day_end``, an
adult's from ``adult_day_start`` to ``adult_day_end``; when ``round_table`` is on, each patient's closing
round-table on the last day comes after all their other appointments and includes every professional who saw them
and is still in clinic; joint appointments hold all their professionals at once; pinned appointments are fixed.

Objective (weighted so that each level dominates the next): place every request; (repair) move as few current
appointments as possible; minimise families' waiting (idle time between a family's first and last appointment of
a day, not counting one lunch break); finish each family's day early (end of day counted from the family's
earliest possible start; weighted below waiting).

How a build runs within its time limit (10 s: about 2 s, 7.5 s, 0.5 s): a starting timetable placing the families
one at a time, each optimally around those before it (small CP-SAT solves with the others' appointments blocked),
when it beats first fit and dispatch; then ruin and recreate: two or three families taken off and put back one at
a time, kept when no worse (``workers`` searches side by side); then the whole model from the best timetable, for
CP-SAT's proven bound. The bound rests on redundant cuts: per family, a floor on its share of the objective, exact
over how its appointments split between the days for a relaxation without the other families
(``bounds.family_floors``, also counted from the family's first appointment of a day); fasting bloods as the
family's first appointment; a single-machine bound on the starts of each professional's appointments whose day is
settled (so the queue for fasting bloods on day 1 counts); and linear forms of the lunch break (before, between or
after a family's appointments) and of the walk between buildings.
"""

from __future__ import annotations

from .bounds import MAX_FLOOR_STATES, FamilyFloors, family_floors
from .clock import Clock
from .explanations import explain_unscheduled
from .heuristics import best_heuristic, dispatch_timetable, greedy_timetable
from .measures import (
    compute_moves,
    evaluate,
    family_costs,
    finish_minutes,
    round_table_participants,
    waiting_minutes,
)
from .model import (
    CONSULTATION,
    JOINT,
    MAX_TIME_LIMIT,
    NO_BOUND_TEXT,
    RESOLUTION,
    ROUND_TABLE,
    STAGE_HEURISTIC,
    STAGE_IMPROVEMENT,
    STAGE_INSERTION,
    STAGE_REPAIR,
    STAGE_WHOLE_MODEL,
    TEST,
    UNITS_PER_DAY,
    WAIT_WEIGHT,
    Instance,
    Move,
    PatientSpec,
    Placement,
    ProfessionalSpec,
    Request,
    RoomSpec,
    ScheduledItem,
    ScheduleResult,
    StaffDay,
    Unscheduled,
    has_useful_bound,
    hhmm,
    hours_text,
    objective_gap,
    valid_time_limit,
)
from .repair import repair
from .search import solve, solve_whole_model

_gap = objective_gap  # the name the command line's tests use

__all__ = [
    "CONSULTATION",
    "JOINT",
    "MAX_FLOOR_STATES",
    "MAX_TIME_LIMIT",
    "NO_BOUND_TEXT",
    "RESOLUTION",
    "ROUND_TABLE",
    "STAGE_HEURISTIC",
    "STAGE_IMPROVEMENT",
    "STAGE_INSERTION",
    "STAGE_REPAIR",
    "STAGE_WHOLE_MODEL",
    "TEST",
    "UNITS_PER_DAY",
    "WAIT_WEIGHT",
    "Clock",
    "FamilyFloors",
    "Instance",
    "Move",
    "PatientSpec",
    "Placement",
    "ProfessionalSpec",
    "Request",
    "RoomSpec",
    "ScheduleResult",
    "ScheduledItem",
    "StaffDay",
    "Unscheduled",
    "best_heuristic",
    "compute_moves",
    "dispatch_timetable",
    "evaluate",
    "explain_unscheduled",
    "family_costs",
    "family_floors",
    "finish_minutes",
    "greedy_timetable",
    "has_useful_bound",
    "hhmm",
    "hours_text",
    "objective_gap",
    "repair",
    "round_table_participants",
    "solve",
    "solve_whole_model",
    "valid_time_limit",
    "waiting_minutes",
]
