"""The instance and the result: plain dataclasses (no database, no solver here).

Times are minutes since local midnight of a clinic day (``day`` is 0 for the first clinic day). The solver works
at a 5-minute resolution (``RESOLUTION``): durations are rounded up, windows inwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

RESOLUTION = 5
UNITS_PER_DAY = 24 * 60 // RESOLUTION
WAIT_WEIGHT = 3  # each minute of waiting costs as much as finishing three minutes later

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
    child_day_start: int = 9 * 60
    child_day_end: int = 16 * 60
    adult_day_start: int = 9 * 60
    adult_day_end: int = 17 * 60
    lunch_start: int = 12 * 60
    lunch_end: int = 14 * 60
    lunch_minutes: int = 30
    transfer_minutes: int = 10
    # The venue's own walking minutes between two of its buildings (key: the two names, sorted) where they differ
    # from ``transfer_minutes``, which any other pair of different buildings takes.
    walks: dict[tuple[str, str], int] = field(default_factory=dict)
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
        lo = max(self.day_start, self.child_day_start if p.is_child else self.adult_day_start)
        hi = min(self.day_end, self.child_day_end if p.is_child else self.adult_day_end)
        if day == 0 and p.arrival is not None:
            lo = max(lo, p.arrival)
        if day == self.days - 1 and p.departure is not None:
            hi = min(hi, p.departure)
        lo = ceil5(lo)
        hi = floor5(hi)
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

    def walk_minutes(self, first: str, second: str) -> int:
        """Minutes to walk from one building to another (0 within one, or where a room names none)."""
        if not first or not second or first == second:
            return 0
        a, b = sorted((first, second))
        return self.walks.get((a, b), self.transfer_minutes)

    @property
    def least_walk_minutes(self) -> int:
        """The shortest walk between any two buildings: a bound that holds whichever two a family is in."""
        return min([self.transfer_minutes, *self.walks.values()])

    def building_of(self, room_id: int | None) -> str:
        if room_id is None or room_id not in self.rooms:
            return ""
        return self.rooms[room_id].building

    def lunch_span(self, lo: int, hi: int) -> tuple[int, int] | None:
        """Where a lunch break fits inside [lo, hi), or None when the window overlaps too little."""
        a, b = ceil5(max(lo, self.lunch_start)), floor5(min(hi, self.lunch_end))
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


def has_useful_bound(status: str, bound: float | None) -> bool:
    """A bound worth a gap: proven optimal, or a finite bound above zero (0 proves nothing here)."""
    if status == "optimal":
        return True
    return bound is not None and math.isfinite(bound) and bound > 0


def objective_gap(status: str, objective: float, bound: float | None) -> float | None:
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


def ceil5(minutes: int) -> int:
    return -(-minutes // RESOLUTION) * RESOLUTION


def floor5(minutes: int) -> int:
    return minutes // RESOLUTION * RESOLUTION


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_text(minutes: int) -> str:
    hours = minutes / 60
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return f"{text} hour" if text == "1" else f"{text} hours"


def overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1
