"""Two-day combined clinic timetables with OR-Tools CP-SAT, on plain dataclasses (no database here).

Times are minutes since local midnight of a clinic day (``day`` is 0 for the first clinic day). The solver works
at a 5-minute resolution (``RESOLUTION``): durations are rounded up, windows inwards.

Inputs: an ``Instance`` (clinic days and hours, lunch window, transfer minutes, professionals' hours per day
(``StaffDay``), rooms with their building, patients with arrival/departure, and ``Request`` s: one per needed
appointment, with its professionals, kind, fasting flag, optional pinned placement and current placement).

Public API (the UI and CLI call these):

- ``solve(instance, *, time_limit=10.0, minimise_moves=False, seed=0, workers=2, on_solution=None)
  -> ScheduleResult``: build a timetable. ``minimise_moves=True`` is *repair*: requests carrying a ``current``
  placement stay put unless moving them is needed; the result's ``moves`` lists before -> after.
- ``repair(instance, *, time_limit=2.5, ...) -> ScheduleResult``: re-plan after a change in stages (keep all
  still-valid appointments, then free the touched families and professionals, then everything), fewest moves.
- ``dispatch_timetable(instance)``: a dense list schedule used as a starting hint.
- ``evaluate(instance, items)``: the build objective of any timetable (to compare the baseline).
- ``greedy_timetable(instance) -> list[ScheduledItem]``: the first-fit baseline (what a person does by hand),
  also used as the solver's starting hint.
- ``waiting_minutes(instance, items) -> dict[patient_id, int]``: families' waiting between appointments.
- ``explain_unscheduled(instance, request, items) -> str``: the binding reason a request could not be placed.
- ``compute_moves(instance, items) -> list[Move]``: differences from the requests' current placements.

Constraints modelled: a professional sees one patient at a time and only within their hours that day; a room
holds one appointment at a time; a patient is in one appointment at a time, not before arrival on day 1 nor after
departure on the last day, with ``transfer_minutes`` between appointments in different buildings; fasting bloods
first thing on day 1; a lunch break of ``lunch_minutes`` inside the lunch window for every professional-day and
patient-day the window overlaps enough; a child's day ends at ``child_day_end``, an adult's at ``adult_day_end``;
when ``round_table`` is on, each patient's closing round-table on the last day comes after all their other
appointments and includes every professional who saw them and is still in clinic; joint appointments hold all
their professionals at once; pinned appointments are fixed.

Objective (weighted so that each level dominates the next): place every request; (repair) move as few current
appointments as possible; minimise families' waiting (idle time between a family's first and last appointment of
a day, not counting one lunch break); finish each family's day early (end of day counted from the family's
earliest possible start; weighted below waiting).

How a build runs within its time limit (10 s: about 2 s, 7.5 s, 0.5 s): a starting timetable placing the families
one at a time, each optimally around those before it (small CP-SAT solves with the others' appointments blocked),
when it beats first fit and dispatch; then ruin and recreate: two or three families taken off and put back one at
a time, kept when no worse (``workers`` searches side by side); then the whole model from the best timetable, for
CP-SAT's proven bound. The bound rests on redundant cuts: per family, a floor on its share of the objective, exact
over how its appointments split between the days for a relaxation without the other families (``_family_floors``,
also counted from the family's first appointment of a day); fasting bloods as the family's first appointment; a
single-machine bound on the starts of each professional's appointments whose day is settled (so the queue for
fasting bloods on day 1 counts); and linear forms of the lunch break (before, between or after a family's
appointments) and of the walk between buildings.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ortools.sat.python import cp_model

RESOLUTION = 5
UNITS_PER_DAY = 24 * 60 // RESOLUTION
WAIT_WEIGHT = 3  # each minute of waiting costs as much as finishing three minutes later

# per family: {days counted from the family's first appointment: a floor on its share of the objective}
FamilyFloors = dict[int, dict[frozenset[int], int]]
_MAX_FLOOR_STATES = 20_000  # a family's day splits kept apart by _family_floors before it gives up

MAX_TIME_LIMIT = 3600.0  # one hour: the longest a build may run (the command line and the app share the rule)


def valid_time_limit(seconds: float) -> float:
    """``seconds`` when it is a usable solver time limit: finite, above 0 and at most an hour.

    Otherwise ValueError with a message naming the value (the caller puts the field's name before it).
    """
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_TIME_LIMIT):
        raise ValueError(f"must be a number of seconds above 0 and at most {MAX_TIME_LIMIT:g}, not {seconds:g}")
    return seconds


CONSULTATION = "consultation"
TEST = "test"
JOINT = "joint"
ROUND_TABLE = "round_table"


# ------------------------------------------------------------------------------------------------------------
# Input and output dataclasses
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfessionalSpec:
    id: int
    name: str
    discipline: str


@dataclass(frozen=True)
class StaffDay:
    """A professional's hours on one clinic day (minutes since local midnight) and their room that day."""

    professional_id: int
    day: int
    start: int
    end: int
    room_id: int | None = None


@dataclass(frozen=True)
class RoomSpec:
    id: int
    name: str
    building: str = ""


@dataclass(frozen=True)
class PatientSpec:
    """A family at clinic: arrival on day 1 and departure on the last day in minutes since local midnight."""

    id: int
    name: str
    is_child: bool = False
    arrival: int | None = None
    departure: int | None = None


@dataclass(frozen=True)
class Placement:
    day: int
    start: int  # minutes since local midnight


@dataclass(frozen=True)
class Request:
    """One appointment to place. A round-table request's professionals are chosen by the solver."""

    key: str
    patient_id: int
    discipline: str
    minutes: int
    professional_ids: tuple[int, ...] = ()
    kind: str = CONSULTATION
    fasting: bool = False
    room_id: int | None = None  # else the first professional's room that day
    pinned: Placement | None = None
    current: Placement | None = None  # where it is in the existing timetable (repair, moves)
    current_room_id: int | None = None  # the existing appointment's room (a plan that changes it moves it)
    appointment_id: int | None = None
    appointment_version: int | None = None  # the existing appointment's version when loaded (stale plans refused)

    @property
    def units(self) -> int:
        return max(1, math.ceil(self.minutes / RESOLUTION))

    @property
    def slot_minutes(self) -> int:
        return self.units * RESOLUTION


@dataclass
class Instance:
    professionals: dict[int, ProfessionalSpec]
    staffing: list[StaffDay]
    rooms: dict[int, RoomSpec]
    patients: dict[int, PatientSpec]
    requests: list[Request]
    days: int = 2
    day_start: int = 9 * 60
    day_end: int = 17 * 60
    child_day_end: int = 16 * 60
    adult_day_end: int = 17 * 60
    lunch_start: int = 12 * 60
    lunch_end: int = 14 * 60
    lunch_minutes: int = 30
    transfer_minutes: int = 10
    round_table: bool = False
    day_labels: list[str] = field(default_factory=list)
    # Appointments on the clinic days that are not part of the plan (families no longer invited or confirmed):
    # kept as booked, they hold their professionals and rooms, so the plan is built around them.
    outside_plan: list[ScheduledItem] = field(default_factory=list)
    outside_families: dict[int, str] = field(default_factory=dict)  # their families' names, for the review
    # The version of every booked appointment of the clinic when it was read: a plan is applied only to the
    # timetable it was built on (none changed, added or removed since).
    appointment_versions: dict[int, int] = field(default_factory=dict)

    def staff_day(self, professional_id: int, day: int) -> StaffDay | None:
        for s in self.staffing:
            if s.professional_id == professional_id and s.day == day:
                return s
        return None

    def patient_window(self, patient_id: int, day: int) -> tuple[int, int] | None:
        """The minutes a family can be seen on a day (on the 5-minute grid), or None."""
        p = self.patients[patient_id]
        lo = self.day_start
        hi = min(self.day_end, self.child_day_end if p.is_child else self.adult_day_end)
        if day == 0 and p.arrival is not None:
            lo = max(lo, p.arrival)
        if day == self.days - 1 and p.departure is not None:
            hi = min(hi, p.departure)
        lo = _ceil5(lo)
        hi = _floor5(hi)
        return (lo, hi) if hi > lo else None

    def room_for(self, request: Request, day: int) -> int | None:
        """The request's own room, else (not for a round-table: it meets where it is set) its first
        professional's room that day."""
        if request.room_id is not None or request.kind == ROUND_TABLE:
            return request.room_id
        for pid in request.professional_ids:
            s = self.staff_day(pid, day)
            if s is not None:
                return s.room_id
        return None

    def building_of(self, room_id: int | None) -> str:
        if room_id is None or room_id not in self.rooms:
            return ""
        return self.rooms[room_id].building

    def lunch_span(self, lo: int, hi: int) -> tuple[int, int] | None:
        """Where a lunch break fits inside [lo, hi), or None when the window overlaps too little."""
        a, b = _ceil5(max(lo, self.lunch_start)), _floor5(min(hi, self.lunch_end))
        return (a, b) if b - a >= self.lunch_minutes else None

    def day_label(self, day: int) -> str:
        return self.day_labels[day] if day < len(self.day_labels) else f"day {day + 1}"


@dataclass(frozen=True)
class ScheduledItem:
    key: str
    patient_id: int
    discipline: str
    kind: str
    day: int
    start: int
    end: int
    professional_ids: tuple[int, ...]
    room_id: int | None = None
    pinned: bool = False


@dataclass(frozen=True)
class Unscheduled:
    key: str
    patient_id: int
    discipline: str
    reason: str


@dataclass(frozen=True)
class Move:
    key: str
    patient_id: int
    discipline: str
    before: Placement | None
    after: ScheduledItem | None

    def describe(self, instance: Instance) -> str:
        who = instance.patients[self.patient_id].name if self.patient_id in instance.patients else self.patient_id
        before = f"{instance.day_label(self.before.day)} {hhmm(self.before.start)}" if self.before else "not booked"
        after = f"{instance.day_label(self.after.day)} {hhmm(self.after.start)}" if self.after else "not scheduled"
        return f"{who}, {self.discipline}: {before} -> {after}"


STAGE_HEURISTIC = "first-fit placement"
STAGE_INSERTION = "family-by-family placement"
STAGE_IMPROVEMENT = "improvement"
STAGE_WHOLE_MODEL = "whole model"
STAGE_REPAIR = "repair"
NO_BOUND_TEXT = "the solver could not prove how good this timetable is (no bound)"
# The whole model's share of a build's time (the last part, mostly for its bound) and its least seconds.
_WHOLE_MODEL_SHARE = 0.05
_WHOLE_MODEL_MIN_SECONDS = 0.1


def has_useful_bound(status: str, bound: float | None) -> bool:
    """A bound worth a gap: proven optimal, or a finite bound above zero (0 proves nothing here)."""
    if status == "optimal":
        return True
    return bound is not None and math.isfinite(bound) and bound > 0


def _gap(status: str, objective: float, bound: float | None) -> float | None:
    if status == "optimal":
        return 0.0
    if bound is None or not has_useful_bound(status, bound):
        return None
    return max(0.0, (objective - bound) / max(1.0, abs(objective)))


@dataclass
class ScheduleResult:
    status: str  # optimal / feasible / infeasible / unknown
    scheduled: list[ScheduledItem]
    unscheduled: list[Unscheduled]
    total_waiting_minutes: int
    waiting_by_patient: dict[int, int]
    objective: float | None
    bound: float | None
    gap: float | None
    wall_time: float
    moves: list[Move] = field(default_factory=list)
    message: str = ""
    stage: str = ""  # which stage of the build produced the timetable (STAGE_*), "" when not said
    # Repair: the booked appointments that broke a rule as the timetable stood -> the rule in words.
    rule_breaches: dict[str, str] = field(default_factory=dict)

    def gap_text(self) -> str:
        """The gap when there is a bound worth one, else that the solver could not prove how good it is."""
        if self.objective is None:
            return ""
        if self.gap is not None and has_useful_bound(self.status, self.bound):
            return f"gap {self.gap * 100:.1f}%"
        return NO_BOUND_TEXT

    def quality_text(self) -> str:
        """How good the timetable is proven to be: ``gap_text`` with the bound (when there is one) and objective."""
        text = self.gap_text()
        if not text:
            return ""
        bound = "" if text == NO_BOUND_TEXT else f", bound {self.bound:.0f}"
        return f"{text}{bound}, objective {self.objective:.0f}"

    def summary_lines(self, instance: Instance) -> list[str]:
        quality = self.quality_text()
        lines = [
            f"Scheduled: {len(self.scheduled)} appointments; unscheduled: {len(self.unscheduled)}",
            f"Total waiting: {self.total_waiting_minutes} minutes",
            f"Solver: {self.status}" + (f", {quality}" if quality else "") + f", {self.wall_time:.1f} s",
        ]
        if self.stage:
            lines.append(f"Timetable from: {self.stage}")
        if self.message:
            lines.append(self.message)
        for u in self.unscheduled:
            name = instance.patients[u.patient_id].name if u.patient_id in instance.patients else u.patient_id
            lines.append(f"  not placed: {name}, {u.discipline}: {u.reason}")
        return lines


# ------------------------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------------------------


_LEAST_CHARGE = 0.02  # deterministic time a solve costs at least (a deterministic _Clock)


class _Clock:
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
        least ``_LEAST_CHARGE``, so a stage of many tiny solves (ruin and recreate) also ends in a number of steps
        known in advance."""
        if self.deterministic:
            self.spent += max(_LEAST_CHARGE, solver.deterministic_time)


def _ceil5(minutes: int) -> int:
    return -(-minutes // RESOLUTION) * RESOLUTION


def _floor5(minutes: int) -> int:
    return minutes // RESOLUTION * RESOLUTION


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_text(minutes: int) -> str:
    hours = minutes / 60
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return f"{text} hour" if text == "1" else f"{text} hours"


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def _options_window(instance: Instance, request: Request, day: int) -> tuple[int, int] | None:
    """Where this request could go on a day, from the family's window and every professional's hours."""
    if request.fasting and day != 0:
        return None
    window = instance.patient_window(request.patient_id, day)
    if window is None:
        return None
    lo, hi = window
    if day == instance.days - 1 and request.kind != ROUND_TABLE:
        hi = min(hi, _fixed_round_table_start(instance, request.patient_id, day))
    for pid in request.professional_ids:
        s = instance.staff_day(pid, day)
        if s is None:
            return None
        lo, hi = max(lo, _ceil5(s.start)), min(hi, _floor5(s.end))
    return (lo, hi) if hi - lo >= request.slot_minutes else None


def _fixed_round_table_start(instance: Instance, patient_id: int, day: int) -> int:
    """When the family's round-table that stays where it is (pinned) starts on ``day``: their other appointments
    end by then. The end of the day when there is none."""
    for r in instance.requests:
        if r.patient_id == patient_id and r.kind == ROUND_TABLE and r.pinned is not None and r.pinned.day == day:
            return r.pinned.start
    return 24 * 60


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


# ------------------------------------------------------------------------------------------------------------
# Greedy first-fit baseline
# ------------------------------------------------------------------------------------------------------------


class _Calendar:
    """Busy intervals per professional, room and patient (absolute minutes: day * 1440 + minute)."""

    def __init__(self) -> None:
        self.prof: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.room: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.patient: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        self.patient_lunch: dict[tuple[int, int], int] = {}  # (patient, day) -> lunch start minute

    def prof_free(self, pid: int, a: int, b: int) -> bool:
        return all(not _overlaps(a, b, x, y) for x, y in self.prof[pid])

    def room_free(self, rid: int | None, a: int, b: int) -> bool:
        return rid is None or all(not _overlaps(a, b, x, y) for x, y in self.room[rid])

    def patient_free(self, pid: int, a: int, b: int, building: str, transfer: int) -> bool:
        for x, y, other in self.patient[pid]:
            gap = transfer if building and other and building != other else 0
            if _overlaps(a - gap, b + gap, x, y):
                return False
        return True


def _calendar(instance: Instance) -> _Calendar:
    """A calendar holding the professionals and rooms of the appointments outside the plan."""
    cal = _Calendar()
    for it in instance.outside_plan:
        a, b = it.day * 1440 + it.start, it.day * 1440 + it.end
        for pid in it.professional_ids:
            cal.prof[pid].append((a, b))
        if it.room_id is not None:
            cal.room[it.room_id].append((a, b))
    return cal


def _lunch_first_fit(
    busy: Callable[[int, int], bool], day: int, span: tuple[int, int], minutes: int
) -> tuple[int, int] | None:
    """The lunch slot nearest the middle of ``span`` that is free."""
    lo, hi = span
    middle = _floor5((lo + hi - minutes) // 2)
    starts = sorted(range(lo, hi - minutes + 1, RESOLUTION), key=lambda t: (abs(t - middle), t))
    for t in starts:
        a, b = day * 1440 + t, day * 1440 + t + minutes
        if busy(a, b):
            return a, b
    return None


def greedy_timetable(instance: Instance) -> list[ScheduledItem]:
    """First fit, family by family (in order of arrival), the way a coordinator fills the grid by hand.

    Pinned appointments go in first; every professional and family gets the lunch slot nearest the middle of the
    lunch window; then each family's requests (fasting bloods first, then longest first, round-table last) go in
    the earliest slot where the professionals, the room and the family are free.
    """
    cal = _calendar(instance)
    items: list[ScheduledItem] = []
    for r in instance.requests:
        if r.pinned is not None:
            it = _item(instance, r, r.pinned.day, r.pinned.start, r.professional_ids)
            _book(instance, cal, it)
            items.append(it)
    for s in instance.staffing:
        span = instance.lunch_span(s.start, s.end)
        if span:
            slot = _lunch_first_fit(
                lambda a, b, pid=s.professional_id: cal.prof_free(pid, a, b), s.day, span, instance.lunch_minutes
            )
            if slot:
                cal.prof[s.professional_id].append(slot)
    for pid in instance.patients:
        for day in range(instance.days):
            window = instance.patient_window(pid, day)
            span = instance.lunch_span(*window) if window else None
            if span:
                slot = _lunch_first_fit(
                    lambda a, b, pid=pid: cal.patient_free(pid, a, b, "", 0), day, span, instance.lunch_minutes
                )
                if slot:
                    cal.patient[pid].append((slot[0], slot[1], ""))
                    cal.patient_lunch[(pid, day)] = slot[0] - day * 1440

    def order(pid: int) -> tuple[int, int]:
        p = instance.patients[pid]
        return (p.arrival or 0, pid)

    by_patient: dict[int, list[Request]] = defaultdict(list)
    for r in instance.requests:
        if r.pinned is None:
            by_patient[r.patient_id].append(r)
    for pid in sorted(by_patient, key=order):
        reqs = sorted(by_patient[pid], key=lambda r: (r.kind == ROUND_TABLE, not r.fasting, -r.minutes, r.key))
        for r in reqs:
            it = (
                _greedy_place(instance, cal, r, items)
                if r.kind != ROUND_TABLE
                else _greedy_round_table(instance, cal, r, items)
            )
            if it is not None:
                _book(instance, cal, it)
                items.append(it)
    return items


def dispatch_timetable(instance: Instance) -> list[ScheduledItem]:
    """A dense list schedule: minute by minute, each free professional takes the free family with the least slack.

    Used as the solver's starting point (it is usually much tighter than first fit); whatever it cannot place is
    then tried first-fit. Keeps every rule the checker knows.
    """
    cal = _calendar(instance)
    items: list[ScheduledItem] = []
    pending: dict[int, list[Request]] = defaultdict(list)
    for r in instance.requests:
        if r.pinned is not None:
            it = _item(instance, r, r.pinned.day, r.pinned.start, r.professional_ids)
            _book(instance, cal, it)
            items.append(it)
        elif r.kind != ROUND_TABLE and r.professional_ids:
            pending[r.patient_id].append(r)
    lunch_minutes = instance.lunch_minutes
    for day in range(instance.days):
        prof_span = {s.professional_id: instance.lunch_span(s.start, s.end) for s in instance.staffing if s.day == day}
        hours = {s.professional_id: (s.start, s.end) for s in instance.staffing if s.day == day}
        pat_window = {pid: instance.patient_window(pid, day) for pid in instance.patients}
        if day == instance.days - 1:  # a round-table that stays where it is closes the family's day
            for pid, w in pat_window.items():
                if w is not None:
                    pat_window[pid] = (w[0], min(w[1], _fixed_round_table_start(instance, pid, day)))
        pat_span = {pid: (instance.lunch_span(*w) if w else None) for pid, w in pat_window.items()}
        prof_lunch: dict[int, bool] = {pid: span is None for pid, span in prof_span.items()}
        pat_lunch: dict[int, bool] = {pid: span is None for pid, span in pat_span.items()}
        fasting_done = {pid: day > 0 or not any(r.fasting for r in pending[pid]) for pid in instance.patients}
        offset = day * 1440

        def lunch_ok(span: tuple[int, int] | None, taken: bool, end: int) -> bool:
            return taken or span is None or end <= span[1] - lunch_minutes

        def remaining_hours(pid: int, t: int, day: int = day) -> int:
            total = 0
            for d in range(day, instance.days):
                w = instance.patient_window(pid, d)
                if w:
                    total += max(0, w[1] - max(w[0], t if d == day else 0))
            return total

        for t in range(_ceil5(instance.day_start), _floor5(instance.day_end) + 1, RESOLUTION):
            a = offset + t
            # Lunch when it can wait no longer (or when idle inside the window with nothing to do).
            for pid, span in prof_span.items():
                due = span and not prof_lunch[pid] and t == span[1] - lunch_minutes
                if due and cal.prof_free(pid, a, a + lunch_minutes):
                    cal.prof[pid].append((a, a + lunch_minutes))
                    prof_lunch[pid] = True
            for pid, span in pat_span.items():
                due = span and not pat_lunch[pid] and t == span[1] - lunch_minutes and fasting_done.get(pid, True)
                if due and cal.patient_free(pid, a, a + lunch_minutes, "", 0):
                    cal.patient[pid].append((a, a + lunch_minutes, ""))
                    pat_lunch[pid] = True
            free_profs = [
                pid for pid, (h0, h1) in hours.items() if h0 <= t < h1 and cal.prof_free(pid, a, a + RESOLUTION)
            ]
            load = {
                pid: sum(r.slot_minutes for reqs in pending.values() for r in reqs if pid in r.professional_ids)
                for pid in free_profs
            }
            for prof in sorted(free_profs, key=lambda p: (-load[p], p)):
                best: tuple[int, Request] | None = None
                for pid, reqs in pending.items():
                    w = pat_window.get(pid)
                    if not w or not (w[0] <= t < w[1]):
                        continue
                    work = sum(r.slot_minutes for r in reqs)
                    for r in reqs:
                        if prof not in r.professional_ids:
                            continue
                        if not fasting_done[pid] and not r.fasting:
                            continue
                        end = t + r.slot_minutes
                        if end > w[1] or any(
                            not (hours.get(q, (0, 0))[0] <= t and end <= hours.get(q, (0, 0))[1])
                            or not cal.prof_free(q, a, offset + end)
                            or not lunch_ok(prof_span.get(q), prof_lunch.get(q, True), end)
                            for q in r.professional_ids
                        ):
                            continue
                        if not lunch_ok(pat_span.get(pid), pat_lunch.get(pid, True), end):
                            continue
                        room = instance.room_for(r, day)
                        if not cal.room_free(room, a, offset + end) or not cal.patient_free(
                            pid, a, offset + end, instance.building_of(room), instance.transfer_minutes
                        ):
                            continue
                        slack = remaining_hours(pid, t) - work
                        if best is None or slack < best[0]:
                            best = (slack, r)
                if best is not None:
                    r = best[1]
                    it = _item(instance, r, day, t, r.professional_ids)
                    _book(instance, cal, it)
                    items.append(it)
                    pending[r.patient_id].remove(r)
                    if r.fasting:
                        fasting_done[r.patient_id] = True
            # Idle inside the lunch window with nothing possible right now: take lunch.
            for pid, span in prof_span.items():
                in_window = span and not prof_lunch[pid] and span[0] <= t <= span[1] - lunch_minutes
                if in_window and cal.prof_free(pid, a, a + lunch_minutes):
                    cal.prof[pid].append((a, a + lunch_minutes))
                    prof_lunch[pid] = True
            for pid, span in pat_span.items():
                in_window = span and not pat_lunch[pid] and span[0] <= t <= span[1] - lunch_minutes
                ready = in_window and pending.get(pid) and fasting_done.get(pid, True)
                if ready and cal.patient_free(pid, a, a + lunch_minutes, "", 0):
                    cal.patient[pid].append((a, a + lunch_minutes, ""))
                    pat_lunch[pid] = True
    # Whatever is left (and round-tables): first fit on top of the dense schedule.
    for r in instance.requests:
        if r.pinned is not None or any(it.key == r.key for it in items):
            continue
        it = _greedy_place(instance, cal, r, items) if r.kind != ROUND_TABLE else None
        if it is not None:
            _book(instance, cal, it)
            items.append(it)
    for r in instance.requests:
        if r.kind == ROUND_TABLE and r.pinned is None:
            it = _greedy_round_table(instance, cal, r, items)
            if it is not None:
                _book(instance, cal, it)
                items.append(it)
    return items


def _item(instance: Instance, r: Request, day: int, start: int, profs: tuple[int, ...]) -> ScheduledItem:
    return ScheduledItem(
        key=r.key,
        patient_id=r.patient_id,
        discipline=r.discipline,
        kind=r.kind,
        day=day,
        start=start,
        end=start + r.slot_minutes,
        professional_ids=tuple(profs),
        room_id=instance.room_for(r, day),
        pinned=r.pinned is not None,
    )


def _book(instance: Instance, cal: _Calendar, it: ScheduledItem) -> None:
    a, b = it.day * 1440 + it.start, it.day * 1440 + it.end
    for pid in it.professional_ids:
        cal.prof[pid].append((a, b))
    if it.room_id is not None:
        cal.room[it.room_id].append((a, b))
    cal.patient[it.patient_id].append((a, b, instance.building_of(it.room_id)))


def _has_someone_to_see(r: Request) -> bool:
    """A new appointment needs a professional in clinic to see; one already booked without any (by hand, say a
    meeting with the family) keeps its place in the timetable all the same."""
    return bool(r.professional_ids) or r.current is not None


def _greedy_place(instance: Instance, cal: _Calendar, r: Request, items: list[ScheduledItem]) -> ScheduledItem | None:
    if not _has_someone_to_see(r):
        return None
    mine_day0 = [it for it in items if it.patient_id == r.patient_id and it.day == 0]
    fasting_ends = [it.end for it in mine_day0 if _is_fasting(instance, it.key)]
    for day in range(instance.days):
        window = _options_window(instance, r, day)
        if window is None:
            continue
        lo, hi = window
        if day == 0 and fasting_ends and not r.fasting:
            lo = max(lo, *fasting_ends)
        if r.fasting and mine_day0:  # first thing: before anything already booked that day
            hi = min(hi, *(it.start for it in mine_day0))
        if r.fasting and (r.patient_id, 0) in cal.patient_lunch:
            hi = min(hi, cal.patient_lunch[(r.patient_id, 0)])
        room = instance.room_for(r, day)
        building = instance.building_of(room)
        for t in range(lo, hi - r.slot_minutes + 1, RESOLUTION):
            a, b = day * 1440 + t, day * 1440 + t + r.slot_minutes
            if (
                all(cal.prof_free(p, a, b) for p in r.professional_ids)
                and cal.room_free(room, a, b)
                and cal.patient_free(r.patient_id, a, b, building, instance.transfer_minutes)
            ):
                return _item(instance, r, day, t, r.professional_ids)
    return None


def _is_fasting(instance: Instance, key: str) -> bool:
    return any(r.key == key and r.fasting for r in instance.requests)


def _greedy_round_table(
    instance: Instance, cal: _Calendar, r: Request, items: list[ScheduledItem]
) -> ScheduledItem | None:
    day = instance.days - 1
    window = instance.patient_window(r.patient_id, day)
    if window is None:
        return None
    lo, hi = window
    mine = [it for it in items if it.patient_id == r.patient_id]
    lo = max([lo] + [it.end for it in mine if it.day == day])
    room = instance.room_for(r, day)
    for t in range(lo, hi - r.slot_minutes + 1, RESOLUTION):
        profs = round_table_participants(instance, r.patient_id, day, t, t + r.slot_minutes, mine)
        a, b = day * 1440 + t, day * 1440 + t + r.slot_minutes
        if (
            all(cal.prof_free(p, a, b) for p in profs)
            and cal.room_free(room, a, b)
            and cal.patient_free(r.patient_id, a, b, instance.building_of(room), instance.transfer_minutes)
        ):
            return _item(instance, r, day, t, profs)
    return None


# ------------------------------------------------------------------------------------------------------------
# Reasons for what could not be placed
# ------------------------------------------------------------------------------------------------------------


def _available_minutes(instance: Instance, s: StaffDay) -> int:
    lunch = instance.lunch_minutes if instance.lunch_span(s.start, s.end) else 0
    return max(0, s.end - s.start - lunch)


def _per_day_text(parts: list[tuple[int, int]], instance: Instance) -> str:
    return " and ".join(f"{hours_text(m)} on {instance.day_label(d)}" for d, m in parts)


def explain_unscheduled(instance: Instance, request: Request, items: Sequence[ScheduledItem] = ()) -> str:
    """The binding reason, in words, that ``request`` could not be placed."""
    r = request
    if r.kind == ROUND_TABLE:
        day = instance.days - 1
        if instance.patient_window(r.patient_id, day) is None:
            return f"the family is not here on {instance.day_label(day)} for the closing round-table"
        return (
            f"no {r.slot_minutes} minutes at the end of {instance.day_label(day)} after the family's last "
            "appointment when everyone who saw them is free"
        )
    if not r.professional_ids:
        return f"no {r.discipline} professional is in clinic"
    names = {
        pid: instance.professionals[pid].name if pid in instance.professionals else str(pid)
        for pid in r.professional_ids
    }
    for pid in r.professional_ids:
        if not any(s.professional_id == pid for s in instance.staffing):
            return f"{names[pid]} ({r.discipline}) is not in clinic on any day"
    if r.fasting:
        missing = [names[p] for p in r.professional_ids if instance.staff_day(p, 0) is None]
        if missing:
            day1 = instance.day_label(0)
            return f"fasting bloods must be first thing on {day1} and {missing[0]} is not in clinic then"
    if all(_options_window(instance, r, d) is None for d in range(instance.days)):
        family = [
            f"{hhmm(w[0])}-{hhmm(w[1])} on {instance.day_label(d)}"
            for d in range(instance.days)
            if (w := instance.patient_window(r.patient_id, d))
        ]
        hours = [
            f"{hhmm(s.start)}-{hhmm(s.end)} on {instance.day_label(s.day)}"
            for s in sorted(instance.staffing, key=lambda s: s.day)
            if s.professional_id in r.professional_ids
        ]
        return (
            f"the family is here {', '.join(family) or 'on no day'} and {r.discipline} works {', '.join(hours)}: "
            f"no {r.slot_minutes} minutes in common"
        )
    # Capacity of each professional against all requests for them.
    for pid in r.professional_ids:
        days = sorted((s for s in instance.staffing if s.professional_id == pid), key=lambda s: s.day)
        available = sum(_available_minutes(instance, s) for s in days)
        requested = sum(q.slot_minutes for q in instance.requests if pid in q.professional_ids)
        if requested > available:
            same = [p for p in instance.professionals.values() if p.discipline == r.discipline]
            label = r.discipline if len(same) <= 1 else f"{r.discipline} ({names[pid]})"
            parts = [(s.day, _available_minutes(instance, s)) for s in days]
            return f"{label} has {_per_day_text(parts, instance)} and {hours_text(requested)} of requests"
    # The family's own time.
    windows = [(d, w) for d in range(instance.days) if (w := instance.patient_window(r.patient_id, d))]
    family_available = sum(
        w[1] - w[0] - (instance.lunch_minutes if instance.lunch_span(*w) else 0) for _d, w in windows
    )
    family_requested = sum(q.slot_minutes for q in instance.requests if q.patient_id == r.patient_id)
    if family_requested > family_available:
        parts = [(d, w[1] - w[0] - (instance.lunch_minutes if instance.lunch_span(*w) else 0)) for d, w in windows]
        return (
            f"the family is here for {_per_day_text(parts, instance)} and needs {hours_text(family_requested)} "
            "of appointments"
        )
    who = " and ".join(names[p] for p in r.professional_ids)
    return (
        f"{who} ({r.discipline}) and the family have no free {r.slot_minutes} minutes at the same time: "
        "the hours they share are taken by other appointments"
    )


# ------------------------------------------------------------------------------------------------------------
# CP-SAT model
# ------------------------------------------------------------------------------------------------------------


@dataclass
class _Option:
    request: Request
    day: int
    lit: Any  # BoolVar, or True for a pinned placement
    start: Any  # IntVar or int (solver units, absolute)
    room_id: int | None
    building: str
    earliest: int  # the earliest start (solver units, absolute)


def _best_heuristic(instance: Instance) -> list[ScheduledItem]:
    """The better of first fit and the dense dispatch schedule: most placed, then lowest objective."""
    candidates = [greedy_timetable(instance), dispatch_timetable(instance)]
    return min(candidates, key=lambda items: (-len(items), evaluate(instance, items)))


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
    clock = _Clock(deterministic)
    movable = [r for r in instance.requests if r.pinned is None]
    booked = {r.key for r in movable if r.current is not None}
    keep_all = booked - set(displaced)
    freed = [r for r in movable if r.key not in keep_all]
    # Stage 2's neighbourhood: everything of the families and professionals of the displaced appointments (not
    # of a round-table's: it only needs new participants, or a later start, never the whole clinic re-planned).
    families = {r.patient_id for r in freed if r.key in displaced and r.kind != ROUND_TABLE}
    profs = {p for r in freed if r.key in displaced and r.kind != ROUND_TABLE for p in r.professional_ids}
    near = {r.key for r in movable if r.patient_id in families or set(r.professional_ids) & profs}
    pinned_keys = {r.key for r in instance.requests if r.pinned is not None}

    def fixing(keep: set[str]) -> Instance:
        # A kept appointment stays where it is, in its own room.
        reqs = [
            Request(**{**r.__dict__, "pinned": r.current, "room_id": r.current_room_id or r.room_id})
            if r.key in keep
            else r
            for r in instance.requests
        ]
        return Instance(**{**instance.__dict__, "requests": reqs})

    def restore(result: ScheduleResult) -> ScheduleResult:
        result.scheduled = [
            ScheduledItem(**{**it.__dict__, "pinned": it.key in pinned_keys}) if it.pinned else it
            for it in result.scheduled
        ]
        result.moves = compute_moves(instance, result.scheduled)
        return result

    def rank(result: ScheduleResult) -> tuple[int, int, int]:
        return (len(result.unscheduled), len(result.moves), result.total_waiting_minutes)

    best: ScheduleResult | None = None
    last: ScheduleResult | None = None
    stages = [(keep_all, 0.3), (keep_all - near, 1.0)]
    for keep, share in stages:
        remaining = time_limit - clock.now()
        if remaining <= 0.2 and best is not None:
            break
        budget = max(0.2, time_limit * share - clock.now())
        last = solve(
            fixing(keep),
            time_limit=max(0.2, min(remaining, budget)),
            minimise_moves=True,
            seed=seed,
            workers=workers,
            on_solution=on_solution,
            hint=best.scheduled if best is not None else None,
            use_hint=best is not None,
            log=log,
            required=keep_all - keep,
            _clock=clock,
        )
        if last.status not in ("optimal", "feasible"):
            continue
        result = restore(last)
        if best is None or rank(result) < rank(best):
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
    _clock: _Clock | None = None,
    _all_required: bool = False,
    _stages: bool = True,
    _floors: FamilyFloors | None = None,
    _blocked: Sequence[ScheduledItem] = (),
) -> ScheduleResult:
    """Build (or, with ``minimise_moves``, repair) a timetable with CP-SAT within ``time_limit`` seconds.

    ``on_solution(objective, seconds)`` is called at each improving timetable (progress), from the solver thread.
    ``required`` keys must be placed (repair: appointments that broke no rule are moved, never dropped).
    ``deterministic=True`` counts CP-SAT's deterministic time instead of seconds, with one worker (``_Clock``).
    (Private: ``_clock`` is the calling stage's; ``_all_required`` makes every request mandatory; ``_stages=False``
    skips the start-timetable stages; ``_floors`` are precomputed ``_family_floors``; ``_blocked`` are other
    families' fixed appointments, which only hold their professionals and rooms.)
    """
    clock = _clock if _clock is not None else _Clock(deterministic)
    began_wall = time.perf_counter()
    t0 = clock.now()

    def elapsed_now() -> float:
        return clock.now() - t0

    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    # Level 1 of the objective, "place every request", is settled up front when a witness places them all: the
    # first-fit timetable (build) or the current one (repair). Those requests are then mandatory, which gives
    # CP-SAT a much tighter model; otherwise every request is optional and an unplaced one costs the most.
    start_from = list(hint) if hint is not None else (_best_heuristic(instance) if use_hint else [])
    build = use_hint and hint is None and not minimise_moves and _stages and len(instance.patients) > 1
    start_stage = STAGE_HEURISTIC  # which stage found start_from (a build returns it if the whole model does worse)
    # Levels 2 and 3 bounded per family (redundant cuts, see _family_floors): cheap, exact over how the family's
    # appointments split between days, blind to the other families.
    floors: FamilyFloors = {}
    if _all_required or not minimise_moves:
        floors = _floors if _floors is not None else _family_floors(instance)
    if build:
        # A better start: each family in turn placed optimally around the families before it (small CP-SAT
        # solves), kept when it beats the hand heuristics; then improved by taking families off and putting them
        # back (ruin and recreate). The whole model then runs for the rest of the time from that timetable.
        inserted = _insertion_timetable(instance, time_limit * 0.2, seed, workers, floors, clock)
        if (len(inserted), -evaluate(instance, inserted)) > (len(start_from), -evaluate(instance, start_from)):
            start_from, start_stage = inserted, STAGE_INSERTION
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
            improved = _improve_by_families(
                placed_only,
                start_from,
                t0 + time_limit * (1 - _WHOLE_MODEL_SHARE),
                seed,
                workers,
                floors if placed_only is instance else _family_floors(placed_only),
                clock,
                (lambda value: on_solution(value, time.perf_counter() - began_wall)) if on_solution else None,
            )
            if evaluate(instance, improved) < before:
                start_stage = STAGE_IMPROVEMENT
            start_from = improved
    must_place: set[str] = set(required)
    if _all_required or (not minimise_moves and start_from and len(start_from) == len(instance.requests)):
        must_place = {r.key for r in instance.requests}
    if not must_place:
        floors = {}
    upd = UNITS_PER_DAY
    unit = RESOLUTION

    def tu(day: int, minute: int) -> int:
        return day * upd + minute // unit

    prof_ivs: dict[int, list[Any]] = defaultdict(list)
    room_ivs: dict[int, list[Any]] = defaultdict(list)
    patient_ivs: dict[int, list[Any]] = defaultdict(list)
    options: dict[str, list[_Option]] = {}
    present: dict[str, Any] = {}
    # (patient, day) -> list of (start expr, units, lit)
    pd_items: dict[tuple[int, int], list[tuple[Any, int, Any]]] = defaultdict(list)
    # (patient, day) -> building -> presence literals of the family's appointments there (for transfer cuts)
    pd_buildings: dict[tuple[int, int], dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    pd_no_building: set[tuple[int, int]] = set()
    rt_requests: list[Request] = []
    absent_vars: dict[str, Any] = {}

    for r in instance.requests:
        if r.kind == ROUND_TABLE and r.pinned is None:
            rt_requests.append(r)
            continue
        dur = r.units
        opts: list[_Option] = []
        if r.pinned is not None:
            d = r.pinned.day
            s = tu(d, r.pinned.start)
            # Off the 5-minute steps (booked by hand at 09:37): the units it touches, so nothing overlaps it.
            dur = math.ceil((r.pinned.start % unit + r.minutes) / unit)
            room = instance.room_for(r, d)
            iv = m.NewFixedSizeIntervalVar(s, dur, f"pin_{r.key}")
            opts.append(_Option(r, d, True, s, room, instance.building_of(room), s))
            for pid in r.professional_ids:
                prof_ivs[pid].append(iv)
            if room is not None:
                room_ivs[room].append(iv)
            patient_ivs[r.patient_id].append(iv)
            present[r.key] = True
        else:
            for d in range(instance.days):
                window = _options_window(instance, r, d)
                if window is None or not _has_someone_to_see(r):
                    continue
                lo, hi = window
                lit = m.NewBoolVar(f"on_{r.key}_{d}")
                s = m.NewIntVar(tu(d, lo), tu(d, hi) - dur, f"s_{r.key}_{d}")
                iv = m.NewOptionalFixedSizeIntervalVar(s, dur, lit, f"iv_{r.key}_{d}")
                room = instance.room_for(r, d)
                opts.append(_Option(r, d, lit, s, room, instance.building_of(room), tu(d, lo)))
                for pid in r.professional_ids:
                    prof_ivs[pid].append(iv)
                if room is not None:
                    room_ivs[room].append(iv)
                patient_ivs[r.patient_id].append(iv)
            if opts and r.key in must_place:
                m.AddExactlyOne([o.lit for o in opts])
                present[r.key] = True
            elif opts:
                absent = m.NewBoolVar(f"absent_{r.key}")
                m.AddExactlyOne([absent, *(o.lit for o in opts)])
                present[r.key] = absent.Not()
                absent_vars[r.key] = absent
            else:
                present[r.key] = False
        options[r.key] = opts
        for o in opts:
            pd_items[(r.patient_id, o.day)].append((o.start, dur, o.lit))
            if o.building:
                pd_buildings[(r.patient_id, o.day)][o.building].append(o.lit)
            else:  # an appointment with no building may sit between two buildings' with no walk
                pd_no_building.add((r.patient_id, o.day))

    # Fasting bloods first thing on day 1: every other day-1 appointment of the family starts after they end.
    for r in instance.requests:
        if not r.fasting:
            continue
        for f in options.get(r.key, []):
            if f.day != 0:
                continue
            for q in instance.requests:
                if q.patient_id != r.patient_id or q.key == r.key:
                    continue
                for o in options.get(q.key, []):
                    if o.day == 0:
                        _enforce(m.Add(o.start >= f.start + r.units), [f.lit, o.lit])

    # Transfers between buildings.
    if instance.transfer_minutes > 0:
        gap = math.ceil(instance.transfer_minutes / unit)
        by_pd: dict[tuple[int, int], list[_Option]] = defaultdict(list)
        for opts in options.values():
            for o in opts:
                by_pd[(o.request.patient_id, o.day)].append(o)
        for opts in by_pd.values():
            for i, a in enumerate(opts):
                for b in opts[i + 1 :]:
                    if not a.building or not b.building or a.building == b.building:
                        continue
                    before = m.NewBoolVar("")
                    lits = [x for x in (a.lit, b.lit) if x is not True]
                    _enforce(m.Add(b.start >= a.start + a.request.units + gap), [before, *lits])
                    _enforce(m.Add(a.start >= b.start + b.request.units + gap), [before.Not(), *lits])

    # Lunch for every professional-day and family-day the lunch window overlaps enough.
    lunch_units = math.ceil(instance.lunch_minutes / unit)
    for s in instance.staffing:
        span = instance.lunch_span(s.start, s.end)
        if span:
            st = m.NewIntVar(tu(s.day, span[0]), tu(s.day, span[1]) - lunch_units, "")
            prof_ivs[s.professional_id].append(m.NewFixedSizeIntervalVar(st, lunch_units, ""))
    patient_lunch: dict[tuple[int, int], bool] = {}
    lunch_start_var: dict[tuple[int, int], Any] = {}
    lunch_bounds: dict[tuple[int, int], tuple[int, int]] = {}  # earliest and latest lunch start
    fasting_by_patient = {r.patient_id: r for r in instance.requests if r.fasting}
    for pid in instance.patients:
        for d in range(instance.days):
            window = instance.patient_window(pid, d)
            span = instance.lunch_span(*window) if window else None
            patient_lunch[(pid, d)] = bool(span)
            if span:
                st = m.NewIntVar(tu(d, span[0]), tu(d, span[1]) - lunch_units, "")
                patient_ivs[pid].append(m.NewFixedSizeIntervalVar(st, lunch_units, ""))
                lunch_start_var[(pid, d)] = st
                lunch_bounds[(pid, d)] = (tu(d, span[0]), tu(d, span[1]) - lunch_units)
                fasting = fasting_by_patient.get(pid)
                if d == 0 and fasting is not None:  # fasting bloods come before lunch too
                    for f in options.get(fasting.key, []):
                        if f.day == 0:
                            _enforce(m.Add(st >= f.start + fasting.units), [f.lit])

    # A round-table that stays where it is (pinned, or kept by a repair) still closes the family's last day.
    last_day = instance.days - 1
    for r in instance.requests:
        if r.kind != ROUND_TABLE or r.pinned is None or r.pinned.day != last_day:
            continue
        fixed_start = tu(last_day, r.pinned.start)
        for q in instance.requests:
            if q.patient_id != r.patient_id or q.key == r.key:
                continue
            for o in options.get(q.key, []):
                if o.day == last_day:
                    _enforce(m.Add(o.start + q.units <= fixed_start), [o.lit])

    # Closing round-table: last day, after the family's other appointments, with everyone who saw them and is
    # still in clinic.
    rt_attend: dict[str, list[tuple[int, Any]]] = {}
    last = instance.days - 1
    for r in rt_requests:
        options[r.key] = []
        present[r.key] = False
        window = instance.patient_window(r.patient_id, last)
        if window is None or window[1] - window[0] < r.slot_minutes:
            continue
        dur = r.units
        lit = m.NewBoolVar(f"on_{r.key}")
        s = m.NewIntVar(tu(last, window[0]), tu(last, window[1]) - dur, f"s_{r.key}")
        iv = m.NewOptionalFixedSizeIntervalVar(s, dur, lit, f"iv_{r.key}")
        room = instance.room_for(r, last)
        options[r.key] = [_Option(r, last, lit, s, room, instance.building_of(room), tu(last, window[0]))]
        present[r.key] = lit
        absent_vars[r.key] = lit.Not()
        patient_ivs[r.patient_id].append(iv)
        if room is not None:
            room_ivs[room].append(iv)
        pd_items[(r.patient_id, last)].append((s, dur, lit))
        seen: dict[int, list[Any]] = defaultdict(list)
        for q in instance.requests:
            if q.patient_id != r.patient_id or q.key == r.key:
                continue
            for o in options.get(q.key, []):
                if o.day == last:
                    _enforce(m.Add(s >= o.start + q.units), [lit, o.lit])
                for pid in q.professional_ids:
                    seen[pid].append(o.lit)
        attends: list[tuple[int, Any]] = []
        for pid, lits in sorted(seen.items()):
            sd = instance.staff_day(pid, last)
            if sd is None:
                continue
            still, early, late = m.NewBoolVar(""), m.NewBoolVar(""), m.NewBoolVar("")
            m.Add(s >= tu(last, _ceil5(sd.start))).OnlyEnforceIf(still)
            m.Add(s + dur <= tu(last, _floor5(sd.end))).OnlyEnforceIf(still)
            m.Add(s <= tu(last, _ceil5(sd.start)) - 1).OnlyEnforceIf(early)
            m.Add(s + dur >= tu(last, _floor5(sd.end)) + 1).OnlyEnforceIf(late)
            m.AddBoolOr([still, early, late])
            if any(x is True for x in lits):
                seen_lit: Any = True
            else:
                seen_lit = m.NewBoolVar("")
                m.AddMaxEquality(seen_lit, lits)
            attend = m.NewBoolVar(f"rt_{r.key}_{pid}")
            conj = [still, lit] + ([] if seen_lit is True else [seen_lit])
            m.AddBoolOr([attend] + [x.Not() for x in conj])
            for x in conj:
                m.AddImplication(attend, x)
            prof_ivs[pid].append(m.NewOptionalFixedSizeIntervalVar(s, dur, attend, ""))
            attends.append((pid, attend))
        rt_attend[r.key] = attends

    # Other families' fixed appointments, and those outside the plan: they hold their professionals and rooms.
    for it in [*_blocked, *instance.outside_plan]:
        first = tu(it.day, it.start)
        iv = m.NewFixedSizeIntervalVar(first, max(1, -(-(it.day * 1440 + it.end) // unit) - first), "")
        for pid in it.professional_ids:
            prof_ivs[pid].append(iv)
        if it.room_id is not None:
            room_ivs[it.room_id].append(iv)
    for ivs in prof_ivs.values():
        m.AddNoOverlap(ivs)
    for ivs in room_ivs.values():
        m.AddNoOverlap(ivs)
    for ivs in patient_ivs.values():
        m.AddNoOverlap(ivs)

    # Objective terms per family-day: waiting and finish.
    wait_terms: list[Any] = []
    finish_terms: list[Any] = []
    finish_offset = 0
    # (patient, day) -> (first start, earliest possible start, the family-day's share of the objective)
    family_day: dict[tuple[int, int], tuple[Any, int, Any]] = {}
    for (pid, d), its in pd_items.items():
        window = instance.patient_window(pid, d)
        if window is None:
            continue
        lo, hi = tu(d, window[0]), tu(d, window[1])
        first = m.NewIntVar(lo, hi, "")
        lastv = m.NewIntVar(lo, hi, "")
        m.Add(first <= lastv)
        busy = []
        for s, dur, lit in its:
            if lit is True:
                m.Add(first <= s)
                m.Add(lastv >= s + dur)
                busy.append(dur)
            else:
                m.Add(first <= s).OnlyEnforceIf(lit)
                m.Add(lastv >= s + dur).OnlyEnforceIf(lit)
                busy.append(dur * lit)
        busy_sum = sum(busy)
        w = m.NewIntVar(0, hi - lo, "")
        # Redundant: a family seen in two buildings that day walks between them (unless over lunch).
        mixed: Any = 0
        is_mixed = False
        transfer_units = math.ceil(instance.transfer_minutes / unit)
        buildings = pd_buildings.get((pid, d), {})
        if transfer_units > 0 and len(buildings) > 1 and (pid, d) not in pd_no_building:
            uses = []
            for lits in buildings.values():
                if any(x is True for x in lits):
                    uses.append(1)
                else:
                    u = m.NewBoolVar("")
                    for x in lits:
                        m.AddImplication(x, u)
                    uses.append(u)
            mixed = m.NewBoolVar("")
            is_mixed = True
            for i, a in enumerate(uses):
                for b in uses[i + 1 :]:
                    m.Add(mixed >= a + b - 1)
        st = lunch_start_var.get((pid, d))
        if st is not None:  # a lunch taken between appointments is not waiting
            # The family's lunch is before their first appointment, between two, or after their last: exactly one.
            # (Redundant linear forms of each case tighten the bound: lunch inside lengthens the day by a lunch
            # break; lunch before means a start after the earliest lunch end; lunch after, an end by the latest
            # lunch start.)
            before, inside, after = m.NewBoolVar(""), m.NewBoolVar(""), m.NewBoolVar("")
            m.AddExactlyOne([before, inside, after])
            m.Add(st + lunch_units <= first).OnlyEnforceIf(before)
            m.Add(st >= first).OnlyEnforceIf(inside)
            m.Add(st + lunch_units <= lastv).OnlyEnforceIf(inside)
            m.Add(st >= lastv).OnlyEnforceIf(after)
            st_lo, st_hi = lunch_bounds[(pid, d)]
            m.Add(first >= lo + max(0, st_lo + lunch_units - lo) * before)
            m.Add(lastv <= hi - max(0, hi - st_hi) * after)
            idle: Any = lunch_units * inside
            if is_mixed:
                both = m.NewBoolVar("")
                m.Add(both <= inside)
                m.Add(both <= mixed)
                idle = idle + transfer_units * mixed - min(lunch_units, transfer_units) * both
            m.Add(lastv - first >= busy_sum + idle)
            m.Add(lastv >= lo + busy_sum + idle)
            m.Add(w >= lastv - first - busy_sum - lunch_units * inside)
        else:
            m.Add(lastv - first >= busy_sum + transfer_units * mixed)  # redundant, tightens the bound
            m.Add(lastv >= lo + busy_sum + transfer_units * mixed)
            m.Add(w >= lastv - first - busy_sum)
        wait_terms.append(w)
        finish_terms.append(lastv)
        finish_offset += lo
        family_day[(pid, d)] = (first, lo, WAIT_WEIGHT * w + lastv - lo)

    if floors:
        _add_floor_cuts(m, instance, floors, family_day, options, must_place)

    stay_vars: list[Any] = []
    if minimise_moves:
        for r in instance.requests:
            if r.current is None or r.pinned is not None:
                continue
            stay = m.NewBoolVar(f"stay_{r.key}")
            match = [o for o in options.get(r.key, []) if o.day == r.current.day]
            cur = tu(r.current.day, r.current.start)
            if not match:
                m.Add(stay == 0)
            else:
                o = match[0]
                m.AddImplication(stay, o.lit)
                m.Add(o.start == cur).OnlyEnforceIf(stay)
            stay_vars.append(stay)

    unscheduled_weight, move_weight = _weights(instance, len(stay_vars) if minimise_moves else None)
    missing = list(absent_vars.values())
    objective = (
        unscheduled_weight * sum(missing)
        + move_weight * sum(1 - v for v in stay_vars)
        + WAIT_WEIGHT * sum(wait_terms)
        + sum(finish_terms)
        - finish_offset
    )
    m.Minimize(objective)

    # Hints: current placements when repairing, else the greedy timetable.
    if use_hint:
        if start_from:
            hints = {it.key: (it.day, it.start) for it in start_from}
        else:
            hints = {r.key: (r.current.day, r.current.start) for r in instance.requests if r.current is not None}
        for key, opts in options.items():
            h = hints.get(key)
            for o in opts:
                if o.lit is True:
                    continue
                on = h is not None and h[0] == o.day
                m.AddHint(o.lit, on)
                if on and h is not None:
                    m.AddHint(o.start, tu(h[0], h[1]))

    # (Not for one family placed around blocked appointments: its small solve does as well from the bare hint, and
    # the hint there often clashes with what changed around it.)
    if use_hint and start_from and not minimise_moves and not _blocked:
        hints = {it.key: (it.day, it.start) for it in start_from}
        _complete_hint(m, options, hints, seed, min(1.0, time_limit / 5), clock)

    solver = cp_model.CpSolver()
    clock.limit(solver, max(_WHOLE_MODEL_MIN_SECONDS, time_limit - elapsed_now()), workers)
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    if minimise_moves:
        solver.parameters.repair_hint = True

    offset = time.perf_counter() - began_wall  # progress in seconds since the build began

    class _Progress(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            if on_solution is not None:
                on_solution(self.ObjectiveValue(), offset + self.WallTime())

    status = solver.Solve(m, _Progress() if on_solution else None)
    clock.charge(solver)
    elapsed = time.perf_counter() - began_wall
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
    if build and start_from and status not in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        # Never worse than an earlier stage: when the whole model found nothing in the time left (e.g. under load),
        # or something worse, the build returns the earlier stage's timetable, by the same objective.
        earlier = (len(start_from), -evaluate(instance, start_from))
        whole = _read_solution(instance, solver, options, rt_attend) if found else None
        if whole is None or (len(whole), -evaluate(instance, whole)) < earlier:
            bound_value = max(b for b in (solver.BestObjectiveBound(), floor_bound) if math.isfinite(b))
            result = _result_of(instance, start_from, "feasible", bound_value, elapsed, start_stage)
            result.message = (
                f"the whole model found no better timetable within {time_limit:g} s; "
                f"this one is from the {start_stage} stage"
            )
            return result
    if not found:
        message = (
            "the pinned appointments and lunch breaks cannot all be kept: check pinned appointments for clashes"
            if status == cp_model.INFEASIBLE
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

    scheduled = whole if whole is not None else _read_solution(instance, solver, options, rt_attend)
    result = _result_of(
        instance,
        scheduled,
        status_name,
        max(solver.BestObjectiveBound(), floor_bound),
        elapsed,
        STAGE_WHOLE_MODEL,
        objective=solver.ObjectiveValue(),
    )
    return result


def _read_solution(
    instance: Instance, solver: Any, options: dict[str, list[_Option]], rt_attend: dict[str, Any]
) -> list[ScheduledItem]:
    """The whole model's timetable, read from a solver that found one."""
    scheduled: list[ScheduledItem] = []
    for r in instance.requests:
        for o in options.get(r.key, []):
            if o.lit is True or solver.BooleanValue(o.lit):
                start_units = o.start if isinstance(o.start, int) else solver.Value(o.start)
                minute = (start_units - o.day * UNITS_PER_DAY) * RESOLUTION
                profs = r.professional_ids
                if r.key in rt_attend:
                    profs = tuple(pid for pid, a in rt_attend[r.key] if solver.BooleanValue(a))
                scheduled.append(_item(instance, r, o.day, minute, profs))
                break
    return scheduled


def _result_of(
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
        gap=_gap(status, obj, bound),
        wall_time=elapsed,
        moves=moves,
        stage=stage,
    )


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


def _family_floors(instance: Instance) -> FamilyFloors:
    """Per family, lower bounds on its share of the objective (waiting and finish, solver units) in any timetable
    that places all its appointments: ``{patient: {days: floor}}`` where the family's days in ``days`` are counted
    from its first appointment that day (the bound then holds for the share minus those days' late starts).

    Exact, by a small dynamic programme over every split of the family's appointments between the days, for a
    relaxation that keeps per day only the family's window, its lunch break, fasting bloods before lunch and the
    walk when the day spans two buildings (see ``_day_floor``): the professionals and the other families are left
    out. Round-tables (optional) and requests that cannot be placed are left out too, which only lowers a floor.
    """
    unit = RESOLUTION
    lunch_units = math.ceil(instance.lunch_minutes / unit)
    transfer_units = math.ceil(instance.transfer_minutes / unit) if instance.transfer_minutes > 0 else 0
    fasting_key = {r.patient_id: r.key for r in instance.requests if r.fasting}  # as the model: the last one
    days = range(instance.days)
    subsets = [frozenset(d for d in days if k >> d & 1) for k in range(1 << instance.days)]
    by_patient: dict[int, list[Request]] = defaultdict(list)
    for r in instance.requests:
        by_patient[r.patient_id].append(r)
    out: FamilyFloors = {}
    for pid, reqs in by_patient.items():
        if pid not in instance.patients:
            continue
        windows: dict[int, tuple[int, int] | None] = {}
        lunches: dict[int, tuple[int, int] | None] = {}
        for d in days:
            w = instance.patient_window(pid, d)
            span = instance.lunch_span(*w) if w else None
            windows[d] = (w[0] // unit, w[1] // unit) if w else None
            lunches[d] = (span[0] // unit, span[1] // unit - lunch_units) if span else None
        # Each appointment to place: (units, is the fasting bloods, {possible day: building}).
        todo: list[tuple[int, bool, dict[int, str]]] = []
        for r in reqs:
            if r.pinned is not None:
                room = instance.room_for(r, r.pinned.day)
                todo.append((r.units, r.key == fasting_key.get(pid), {r.pinned.day: instance.building_of(room)}))
            elif r.kind != ROUND_TABLE and r.professional_ids:
                on = {
                    d: instance.building_of(instance.room_for(r, d))
                    for d in days
                    if _options_window(instance, r, d) is not None
                }
                if on:
                    todo.append((r.units, r.key == fasting_key.get(pid), on))
        # A state per day: (busy units, buildings, an appointment with no building, the fasting bloods).
        Cell = tuple[int, frozenset[str], bool, bool]
        empty: Cell = (0, frozenset(), False, False)
        states: set[tuple[Cell, ...]] = {tuple(empty for _ in days)}
        for units, fasting, on in todo:
            grown: set[tuple[Cell, ...]] = set()
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
            if len(states) > _MAX_FLOOR_STATES:  # many days and buildings: no floor for this family (still valid)
                states = set()
                break
        memo: dict[tuple[int, Cell, bool], int | None] = {}
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
        if floors:
            out[pid] = floors
    return out


def _add_floor_cuts(
    m: cp_model.CpModel,
    instance: Instance,
    floors: FamilyFloors,
    family_day: dict[tuple[int, int], tuple[Any, int, Any]],
    options: dict[str, list[_Option]],
    must_place: set[str],
) -> None:
    """Redundant cuts, valid in every timetable placing all the requests; they tighten CP-SAT's bound.

    - Each family's share of the objective is at least its floor; with some days counted from the family's first
      appointment, at least that floor plus how late those first appointments start (``_family_floors``).
    - A family's first appointment of day 1 is its fasting bloods.
    - A professional sees one family at a time. For their appointments whose day is settled (pinned, or one
      possible day), in the order they start, each starts after the ones before it end; so for those that can
      start at r or later (durations p_j, P in all): sum(p_j * start_j) >= r * P + sum over pairs p_i * p_j. With
      the two above, this makes families queueing for the same professional (fasting bloods) cost in the bound.
    """
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
                    _enforce(m.Add(first >= o.start), [o.lit])
    jobs: dict[tuple[int, int], list[tuple[int, int, Any]]] = defaultdict(list)
    for r in instance.requests:
        opts = options.get(r.key, [])
        if len(opts) != 1 or (r.kind == ROUND_TABLE and r.pinned is None):
            continue
        o = opts[0]
        if o.lit is True or r.key in must_place:
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


def _above_floor(instance: Instance, items: Sequence[ScheduledItem], floors: FamilyFloors) -> dict[int, int]:
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


def _family_instance(instance: Instance, pid: int, fixed: Sequence[ScheduledItem] = ()) -> Instance:
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


def _families_only(instance: Instance, pids: Iterable[int]) -> Instance:
    """The instance with only these families (their requests and themselves)."""
    keep = set(pids)
    return Instance(
        **{
            **instance.__dict__,
            "requests": [r for r in instance.requests if r.patient_id in keep],
            "patients": {p: instance.patients[p] for p in sorted(keep) if p in instance.patients},
        }
    )


def _insertion_timetable(
    instance: Instance, budget: float, seed: int, workers: int, floors: FamilyFloors, clock: _Clock
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
            sub = _family_instance(instance, pids[k], items)
            sub.requests = [r for r in sub.requests if r.pinned is not None] + [
                r for r in instance.requests if r.patient_id in rest
            ]
            sub.patients = {**sub.patients, **{p: instance.patients[p] for p in rest}}
            items += [it for it in greedy_timetable(sub) if it.patient_id in rest]
            break
        others_pinned = [
            _item(instance, r, r.pinned.day, r.pinned.start, r.professional_ids)
            for r in instance.requests
            if r.pinned is not None and r.patient_id != pid and r.key not in placed
        ]
        blocked = items + others_pinned
        first_fit = [it for it in greedy_timetable(_family_instance(instance, pid, blocked)) if it.patient_id == pid]
        # Every appointment of the family required first (a small model CP-SAT solves fast); if that fails in
        # time, the family's appointments optional (an unplaced one costs the most).
        res = None
        for required in (True, False):
            res = solve(
                _families_only(instance, [pid]),
                hint=first_fit,
                time_limit=max(0.05, budget - (clock.now() - began)) / (len(pids) - k),
                workers=workers,
                seed=seed,
                _clock=clock,
                _stages=False,
                _all_required=required,
                _floors={pid: floors[pid]} if pid in floors else {},
                _blocked=blocked,
            )
            if res.status in ("optimal", "feasible") and not res.unscheduled:
                break
        if res is None or res.status not in ("optimal", "feasible"):
            return []
        items += res.scheduled
    return items


def _improve_by_families(
    instance: Instance,
    items: list[ScheduledItem],
    deadline: float,
    seed: int,
    workers: int,
    floors: FamilyFloors,
    clock: _Clock,
    on_better: Callable[[float], None] | None = None,
) -> list[ScheduledItem]:
    """Ruin and recreate by families, until ``deadline`` (``clock.now()``): take two or three families off
    the timetable and put them back one at a time in random order, each optimally around everyone else's
    appointments (a small CP-SAT solve); keep the result when it is no worse. The first family is drawn by how far
    its share is above its floor, the others among the families seeing the same professionals within 90 minutes
    of its appointments. ``workers`` searches run side by side (threads, one solver worker each) on the same
    timetable, each trying its own families."""
    import random
    import threading

    pids = sorted({r.patient_id for r in instance.requests if r.patient_id in instance.patients})
    if len(pids) < 2:
        return items
    lock = threading.Lock()
    best_items, best_value = items, evaluate(instance, items)

    def search(lane: int) -> None:
        nonlocal best_items, best_value
        rng = random.Random(seed * 1009 + lane)
        tries = 0
        while deadline - clock.now() > 0.1:
            with lock:
                current = best_items
            above = _above_floor(instance, current, floors)
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
            candidate: list[ScheduledItem] | None = [it for it in current if it.patient_id not in chosen]
            for pid in chosen:
                left = deadline - clock.now()
                if candidate is None or left <= 0.05:
                    candidate = None
                    break
                res = solve(
                    _families_only(instance, [pid]),
                    hint=[it for it in current if it.patient_id == pid],
                    time_limit=min(0.1, left),
                    workers=1,
                    seed=seed + lane + tries,
                    _clock=clock,
                    _stages=False,
                    _all_required=True,
                    _floors={pid: floors[pid]} if pid in floors else {},
                    _blocked=candidate,
                )
                ok = res.status in ("optimal", "feasible") and not res.unscheduled
                candidate = candidate + res.scheduled if ok else None
            tries += 1
            if candidate is None:
                continue
            value = evaluate(instance, candidate)
            with lock:
                if value <= best_value:  # a whole timetable of its own: no matter what changed meanwhile
                    if value < best_value and on_better is not None:
                        on_better(value)
                    best_items, best_value = candidate, value

    lanes = [
        threading.Thread(target=search, args=(lane,), daemon=True) for lane in range(1, max(1, clock.workers(workers)))
    ]
    for t in lanes:
        t.start()
    search(0)
    for t in lanes:
        t.join()
    return best_items


def _complete_hint(
    m: cp_model.CpModel,
    options: dict[str, list[_Option]],
    hints: dict[str, tuple[int, int]],
    seed: int,
    limit: float,
    clock: _Clock,
) -> None:
    """Turn a partial hint (days and starts) into a complete one: solve the model with those fixed, briefly.

    CP-SAT starts from a complete, feasible hint at once; a partial one it may fail to complete in time.
    """
    from ortools.sat.python import cp_model

    fixed = m.Clone()
    fixed.ClearHints()
    for key, opts in options.items():
        h = hints.get(key)
        for o in opts:
            if o.lit is True:
                continue
            index = o.lit.Index()
            lit = fixed.GetBoolVarFromProtoIndex(index)
            on = h is not None and h[0] == o.day
            fixed.Add(lit == int(on))
            if on and h is not None and not isinstance(o.start, int):
                fixed.Add(fixed.GetIntVarFromProtoIndex(o.start.Index()) == h[0] * UNITS_PER_DAY + h[1] // RESOLUTION)
    solver = cp_model.CpSolver()
    clock.limit(solver, limit, 1)
    solver.parameters.random_seed = seed
    status = solver.Solve(fixed)
    clock.charge(solver)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return
    m.ClearHints()
    for i in range(len(m.Proto().variables)):
        var = m.GetIntVarFromProtoIndex(i)
        m.AddHint(var, solver.Value(fixed.GetIntVarFromProtoIndex(i)))


def _weights(instance: Instance, n_movable: int | None) -> tuple[int, int]:
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
    unscheduled_weight, _ = _weights(instance, None)
    placed = {it.key for it in items}
    missing = sum(1 for r in instance.requests if r.key not in placed)
    wait = sum(waiting_minutes(instance, items).values()) // RESOLUTION
    return float(unscheduled_weight * missing + WAIT_WEIGHT * wait + finish_minutes(instance, items) // RESOLUTION)


def _enforce(constraint: cp_model.Constraint, lits: Sequence[Any]) -> None:
    real = [x for x in lits if x is not True]
    if real:
        constraint.OnlyEnforceIf(real)
