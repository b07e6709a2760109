"""The CP-SAT model of a timetable, built one constraint family at a time (``TimetableModel``).

Times in the model are solver units: ``day * UNITS_PER_DAY + minute // RESOLUTION``. OR-Tools is imported when a
model is built, not when this module is.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .clock import Clock
from .measures import objective_weights
from .model import RESOLUTION, ROUND_TABLE, UNITS_PER_DAY, WAIT_WEIGHT, Instance, Request, ScheduledItem, ceil5, floor5
from .windows import has_someone_to_see, item_at, options_window

if TYPE_CHECKING:  # pragma: no cover
    from ortools.sat.python import cp_model


@dataclass
class Option:
    """One place a request may go: a day, whether it is there (a literal), its start and room."""

    request: Request
    day: int
    lit: Any  # BoolVar, or True for a pinned placement
    start: Any  # IntVar or int (solver units, absolute)
    room_id: int | None
    building: str
    earliest: int  # the earliest start (solver units, absolute)


def enforce(constraint: cp_model.Constraint, lits: Sequence[Any]) -> None:
    """``constraint`` only when every literal in ``lits`` holds (``True`` stands for a placement that is fixed)."""
    real = [x for x in lits if x is not True]
    if real:
        constraint.OnlyEnforceIf(real)


class TimetableModel:
    """The whole model: every request's options, each rule as its own method, the objective and the hints.

    The methods add variables and constraints in the order ``build`` calls them; CP-SAT's search depends on that
    order, so a build with the same seed gives the same timetable.
    """

    def __init__(self, instance: Instance, must_place: set[str]) -> None:
        from ortools.sat.python import cp_model

        self.instance = instance
        self.must_place = must_place  # requests that must be placed (exactly one option each)
        self.m = cp_model.CpModel()
        self.lunch_units = math.ceil(instance.lunch_minutes / RESOLUTION)
        self.prof_ivs: dict[int, list[Any]] = defaultdict(list)
        self.room_ivs: dict[int, list[Any]] = defaultdict(list)
        self.patient_ivs: dict[int, list[Any]] = defaultdict(list)
        self.options: dict[str, list[Option]] = {}
        self.present: dict[str, Any] = {}
        # (patient, day) -> list of (start expr, units, lit)
        self.pd_items: dict[tuple[int, int], list[tuple[Any, int, Any]]] = defaultdict(list)
        # (patient, day) -> building -> presence literals of the family's appointments there (for transfer cuts)
        self.pd_buildings: dict[tuple[int, int], dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        self.pd_no_building: set[tuple[int, int]] = set()
        self.rt_requests: list[Request] = []
        self.absent_vars: dict[str, Any] = {}
        self.lunch_start_var: dict[tuple[int, int], Any] = {}
        self.lunch_bounds: dict[tuple[int, int], tuple[int, int]] = {}  # earliest and latest lunch start
        self.rt_attend: dict[str, list[tuple[int, Any]]] = {}
        # (patient, day) -> (first start, earliest possible start, the family-day's share of the objective)
        self.family_day: dict[tuple[int, int], tuple[Any, int, Any]] = {}
        self.wait_terms: list[Any] = []
        self.finish_terms: list[Any] = []
        self.finish_offset = 0
        self.stay_vars: list[Any] = []

    def tu(self, day: int, minute: int) -> int:
        return day * UNITS_PER_DAY + minute // RESOLUTION

    def build(self, blocked: Sequence[ScheduledItem]) -> None:
        """Every rule, in order; ``blocked`` are other families' fixed appointments (they hold their professionals
        and rooms). The objective's family-day terms too; floor cuts, stays and the objective are added after."""
        self.add_requests()
        self.add_fasting_first()
        self.add_walking_time()
        self.add_staff_lunch()
        self.add_family_lunch()
        self.add_fixed_round_tables()
        self.add_round_tables()
        self.hold_blocked([*blocked, *self.instance.outside_plan])
        self.add_no_overlap()
        self.add_family_days()

    # --- the requests' options ---------------------------------------------------------------------------------

    def add_requests(self) -> None:
        """Each request's options (one per possible day; one fixed when pinned); round-tables come later."""
        for r in self.instance.requests:
            if r.kind == ROUND_TABLE and r.pinned is None:
                self.rt_requests.append(r)
                continue
            opts, dur = self._pinned(r) if r.pinned is not None else self._choices(r)
            self.options[r.key] = opts
            for o in opts:
                self.pd_items[(r.patient_id, o.day)].append((o.start, dur, o.lit))
                if o.building:
                    self.pd_buildings[(r.patient_id, o.day)][o.building].append(o.lit)
                else:  # an appointment with no building may sit between two buildings' with no walk
                    self.pd_no_building.add((r.patient_id, o.day))

    def _pinned(self, r: Request) -> tuple[list[Option], int]:
        assert r.pinned is not None
        instance, m = self.instance, self.m
        d = r.pinned.day
        s = self.tu(d, r.pinned.start)
        # Off the 5-minute steps (booked by hand at 09:37): the units it touches, so nothing overlaps it.
        dur = math.ceil((r.pinned.start % RESOLUTION + r.minutes) / RESOLUTION)
        room = instance.room_for(r, d)
        iv = m.NewFixedSizeIntervalVar(s, dur, f"pin_{r.key}")
        opts = [Option(r, d, True, s, room, instance.building_of(room), s)]
        for pid in r.professional_ids:
            self.prof_ivs[pid].append(iv)
        if room is not None:
            self.room_ivs[room].append(iv)
        self.patient_ivs[r.patient_id].append(iv)
        self.present[r.key] = True
        return opts, dur

    def _choices(self, r: Request) -> tuple[list[Option], int]:
        instance, m, tu = self.instance, self.m, self.tu
        dur = r.units
        opts: list[Option] = []
        for d in range(instance.days):
            window = options_window(instance, r, d)
            if window is None or not has_someone_to_see(r):
                continue
            lo, hi = window
            lit = m.NewBoolVar(f"on_{r.key}_{d}")
            s = m.NewIntVar(tu(d, lo), tu(d, hi) - dur, f"s_{r.key}_{d}")
            iv = m.NewOptionalFixedSizeIntervalVar(s, dur, lit, f"iv_{r.key}_{d}")
            room = instance.room_for(r, d)
            opts.append(Option(r, d, lit, s, room, instance.building_of(room), tu(d, lo)))
            for pid in r.professional_ids:
                self.prof_ivs[pid].append(iv)
            if room is not None:
                self.room_ivs[room].append(iv)
            self.patient_ivs[r.patient_id].append(iv)
        if opts and r.key in self.must_place:
            m.AddExactlyOne([o.lit for o in opts])
            self.present[r.key] = True
        elif opts:
            absent = m.NewBoolVar(f"absent_{r.key}")
            m.AddExactlyOne([absent, *(o.lit for o in opts)])
            self.present[r.key] = absent.Not()
            self.absent_vars[r.key] = absent
        else:
            self.present[r.key] = False
        return opts, dur

    # --- the rules -----------------------------------------------------------------------------------------------

    def add_fasting_first(self) -> None:
        """Fasting bloods first thing on day 1: every other day-1 appointment of the family starts after they end."""
        instance, options = self.instance, self.options
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
                            enforce(self.m.Add(o.start >= f.start + r.units), [f.lit, o.lit])

    def add_walking_time(self) -> None:
        """A family walks between appointments in different buildings (the venue's time for the pair, else
        ``transfer_minutes``)."""
        if self.instance.transfer_minutes <= 0 and not any(self.instance.walks.values()):
            return
        m = self.m
        by_pd: dict[tuple[int, int], list[Option]] = defaultdict(list)
        for opts in self.options.values():
            for o in opts:
                by_pd[(o.request.patient_id, o.day)].append(o)
        for opts in by_pd.values():
            for i, a in enumerate(opts):
                for b in opts[i + 1 :]:
                    minutes = self.instance.walk_minutes(a.building, b.building)
                    if minutes <= 0:
                        continue
                    gap = math.ceil(minutes / RESOLUTION)
                    before = m.NewBoolVar("")
                    lits = [x for x in (a.lit, b.lit) if x is not True]
                    enforce(m.Add(b.start >= a.start + a.request.units + gap), [before, *lits])
                    enforce(m.Add(a.start >= b.start + b.request.units + gap), [before.Not(), *lits])

    def add_staff_lunch(self) -> None:
        """A lunch break for every professional-day the lunch window overlaps enough."""
        m, tu, lunch_units = self.m, self.tu, self.lunch_units
        for s in self.instance.staffing:
            span = self.instance.lunch_span(s.start, s.end)
            if span:
                st = m.NewIntVar(tu(s.day, span[0]), tu(s.day, span[1]) - lunch_units, "")
                self.prof_ivs[s.professional_id].append(m.NewFixedSizeIntervalVar(st, lunch_units, ""))

    def add_family_lunch(self) -> None:
        """A lunch break for every family-day the lunch window overlaps enough (after fasting bloods on day 1)."""
        instance, m, tu, lunch_units = self.instance, self.m, self.tu, self.lunch_units
        fasting_by_patient = {r.patient_id: r for r in instance.requests if r.fasting}
        for pid in instance.patients:
            for d in range(instance.days):
                window = instance.patient_window(pid, d)
                span = instance.lunch_span(*window) if window else None
                if not span:
                    continue
                st = m.NewIntVar(tu(d, span[0]), tu(d, span[1]) - lunch_units, "")
                self.patient_ivs[pid].append(m.NewFixedSizeIntervalVar(st, lunch_units, ""))
                self.lunch_start_var[(pid, d)] = st
                self.lunch_bounds[(pid, d)] = (tu(d, span[0]), tu(d, span[1]) - lunch_units)
                fasting = fasting_by_patient.get(pid)
                if d == 0 and fasting is not None:  # fasting bloods come before lunch too
                    for f in self.options.get(fasting.key, []):
                        if f.day == 0:
                            enforce(m.Add(st >= f.start + fasting.units), [f.lit])

    def add_fixed_round_tables(self) -> None:
        """A round-table that stays where it is (pinned, or kept by a repair) still closes the family's last day."""
        instance = self.instance
        last_day = instance.days - 1
        for r in instance.requests:
            if r.kind != ROUND_TABLE or r.pinned is None or r.pinned.day != last_day:
                continue
            fixed_start = self.tu(last_day, r.pinned.start)
            for q in instance.requests:
                if q.patient_id != r.patient_id or q.key == r.key:
                    continue
                for o in self.options.get(q.key, []):
                    if o.day == last_day:
                        enforce(self.m.Add(o.start + q.units <= fixed_start), [o.lit])

    def add_round_tables(self) -> None:
        """Closing round-table: last day, after the family's other appointments, with everyone who saw them and is
        still in clinic."""
        instance, m, tu = self.instance, self.m, self.tu
        last = instance.days - 1
        for r in self.rt_requests:
            self.options[r.key] = []
            self.present[r.key] = False
            window = instance.patient_window(r.patient_id, last)
            if window is None or window[1] - window[0] < r.slot_minutes:
                continue
            dur = r.units
            lit = m.NewBoolVar(f"on_{r.key}")
            s = m.NewIntVar(tu(last, window[0]), tu(last, window[1]) - dur, f"s_{r.key}")
            iv = m.NewOptionalFixedSizeIntervalVar(s, dur, lit, f"iv_{r.key}")
            room = instance.room_for(r, last)
            self.options[r.key] = [Option(r, last, lit, s, room, instance.building_of(room), tu(last, window[0]))]
            self.present[r.key] = lit
            self.absent_vars[r.key] = lit.Not()
            self.patient_ivs[r.patient_id].append(iv)
            if room is not None:
                self.room_ivs[room].append(iv)
            self.pd_items[(r.patient_id, last)].append((s, dur, lit))
            seen: dict[int, list[Any]] = defaultdict(list)
            for q in instance.requests:
                if q.patient_id != r.patient_id or q.key == r.key:
                    continue
                for o in self.options.get(q.key, []):
                    if o.day == last:
                        enforce(m.Add(s >= o.start + q.units), [lit, o.lit])
                    for pid in q.professional_ids:
                        seen[pid].append(o.lit)
            self.rt_attend[r.key] = self._attendance(r, s, dur, lit, seen)

    def _attendance(self, r: Request, s: Any, dur: int, lit: Any, seen: dict[int, list[Any]]) -> list[tuple[int, Any]]:
        """Each professional who saw the family attends the round-table when they are in clinic for all of it."""
        m, tu = self.m, self.tu
        last = self.instance.days - 1
        attends: list[tuple[int, Any]] = []
        for pid, lits in sorted(seen.items()):
            sd = self.instance.staff_day(pid, last)
            if sd is None:
                continue
            still, early, late = m.NewBoolVar(""), m.NewBoolVar(""), m.NewBoolVar("")
            m.Add(s >= tu(last, ceil5(sd.start))).OnlyEnforceIf(still)
            m.Add(s + dur <= tu(last, floor5(sd.end))).OnlyEnforceIf(still)
            m.Add(s <= tu(last, ceil5(sd.start)) - 1).OnlyEnforceIf(early)
            m.Add(s + dur >= tu(last, floor5(sd.end)) + 1).OnlyEnforceIf(late)
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
            self.prof_ivs[pid].append(m.NewOptionalFixedSizeIntervalVar(s, dur, attend, ""))
            attends.append((pid, attend))
        return attends

    def hold_blocked(self, items: Iterable[ScheduledItem]) -> None:
        """Other families' fixed appointments, and those outside the plan: they hold their professionals and rooms."""
        for it in items:
            first = self.tu(it.day, it.start)
            iv = self.m.NewFixedSizeIntervalVar(first, max(1, -(-(it.day * 1440 + it.end) // RESOLUTION) - first), "")
            for pid in it.professional_ids:
                self.prof_ivs[pid].append(iv)
            if it.room_id is not None:
                self.room_ivs[it.room_id].append(iv)

    def add_no_overlap(self) -> None:
        """A professional, a room and a family are each in one appointment (or lunch) at a time."""
        for ivs in self.prof_ivs.values():
            self.m.AddNoOverlap(ivs)
        for ivs in self.room_ivs.values():
            self.m.AddNoOverlap(ivs)
        for ivs in self.patient_ivs.values():
            self.m.AddNoOverlap(ivs)

    # --- the objective -------------------------------------------------------------------------------------------

    def add_family_days(self) -> None:
        """Objective terms per family-day: waiting (idle time between its first and last appointment, not counting
        one lunch break) and finish (its last end, counted from its earliest possible start)."""
        for (pid, d), its in self.pd_items.items():
            window = self.instance.patient_window(pid, d)
            if window is None:
                continue
            self._family_day(pid, d, window, its)

    def _family_day(self, pid: int, d: int, window: tuple[int, int], its: list[tuple[Any, int, Any]]) -> None:
        m = self.m
        lo, hi = self.tu(d, window[0]), self.tu(d, window[1])
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
        transfer_units = math.ceil(self.instance.least_walk_minutes / RESOLUTION)  # redundant: the least walk
        mixed = self._two_buildings(pid, d, transfer_units)
        st = self.lunch_start_var.get((pid, d))
        if st is not None:  # a lunch taken between appointments is not waiting
            self._lunch_in_day(pid, d, (first, lastv, w), (lo, hi), busy_sum, mixed, transfer_units)
        else:
            walk: Any = 0 if mixed is None else transfer_units * mixed
            m.Add(lastv - first >= busy_sum + walk)  # redundant, tightens the bound
            m.Add(lastv >= lo + busy_sum + walk)
            m.Add(w >= lastv - first - busy_sum)
        self.wait_terms.append(w)
        self.finish_terms.append(lastv)
        self.finish_offset += lo
        self.family_day[(pid, d)] = (first, lo, WAIT_WEIGHT * w + lastv - lo)

    def _two_buildings(self, pid: int, d: int, transfer_units: int) -> Any:
        """Redundant: a literal for "the family is seen in two buildings that day" (it walks between them, unless
        over lunch), or None when it cannot be."""
        m = self.m
        buildings = self.pd_buildings.get((pid, d), {})
        if not (transfer_units > 0 and len(buildings) > 1 and (pid, d) not in self.pd_no_building):
            return None
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
        for i, a in enumerate(uses):
            for b in uses[i + 1 :]:
                m.Add(mixed >= a + b - 1)
        return mixed

    def _lunch_in_day(
        self,
        pid: int,
        d: int,
        day_vars: tuple[Any, Any, Any],
        bounds: tuple[int, int],
        busy_sum: Any,
        mixed: Any,
        transfer_units: int,
    ) -> None:
        """The family's lunch is before their first appointment, between two, or after their last: exactly one.

        (Redundant linear forms of each case tighten the bound: lunch inside lengthens the day by a lunch break;
        lunch before means a start after the earliest lunch end; lunch after, an end by the latest lunch start.)
        """
        m, lunch_units = self.m, self.lunch_units
        first, lastv, w = day_vars
        lo, hi = bounds
        st = self.lunch_start_var[(pid, d)]
        before, inside, after = m.NewBoolVar(""), m.NewBoolVar(""), m.NewBoolVar("")
        m.AddExactlyOne([before, inside, after])
        m.Add(st + lunch_units <= first).OnlyEnforceIf(before)
        m.Add(st >= first).OnlyEnforceIf(inside)
        m.Add(st + lunch_units <= lastv).OnlyEnforceIf(inside)
        m.Add(st >= lastv).OnlyEnforceIf(after)
        st_lo, st_hi = self.lunch_bounds[(pid, d)]
        m.Add(first >= lo + max(0, st_lo + lunch_units - lo) * before)
        m.Add(lastv <= hi - max(0, hi - st_hi) * after)
        idle: Any = lunch_units * inside
        if mixed is not None:
            both = m.NewBoolVar("")
            m.Add(both <= inside)
            m.Add(both <= mixed)
            idle = idle + transfer_units * mixed - min(lunch_units, transfer_units) * both
        m.Add(lastv - first >= busy_sum + idle)
        m.Add(lastv >= lo + busy_sum + idle)
        m.Add(w >= lastv - first - busy_sum - lunch_units * inside)

    def add_stays(self) -> None:
        """Repair: a literal per booked request for "it stays where it is" (moves cost in the objective)."""
        m = self.m
        for r in self.instance.requests:
            if r.current is None or r.pinned is not None:
                continue
            stay = m.NewBoolVar(f"stay_{r.key}")
            match = [o for o in self.options.get(r.key, []) if o.day == r.current.day]
            cur = self.tu(r.current.day, r.current.start)
            if not match:
                m.Add(stay == 0)
            else:
                o = match[0]
                m.AddImplication(stay, o.lit)
                m.Add(o.start == cur).OnlyEnforceIf(stay)
            self.stay_vars.append(stay)

    def minimise(self, minimise_moves: bool) -> None:
        """Place every request; (repair) move as few as possible; then waiting and finish, each level outweighing
        everything below it."""
        unscheduled_weight, move_weight = objective_weights(
            self.instance, len(self.stay_vars) if minimise_moves else None
        )
        missing = list(self.absent_vars.values())
        objective = (
            unscheduled_weight * sum(missing)
            + move_weight * sum(1 - v for v in self.stay_vars)
            + WAIT_WEIGHT * sum(self.wait_terms)
            + sum(self.finish_terms)
            - self.finish_offset
        )
        self.m.Minimize(objective)

    # --- hints and the solution ------------------------------------------------------------------------------

    def add_hints(self, hints: dict[str, tuple[int, int]]) -> None:
        """Hint each option on or off by ``hints`` (key -> day and start minute), with its start when on."""
        for key, opts in self.options.items():
            h = hints.get(key)
            for o in opts:
                if o.lit is True:
                    continue
                on = h is not None and h[0] == o.day
                self.m.AddHint(o.lit, on)
                if on and h is not None:
                    self.m.AddHint(o.start, self.tu(h[0], h[1]))

    def complete_hint(self, hints: dict[str, tuple[int, int]], seed: int, limit: float, clock: Clock) -> None:
        """Turn a partial hint (days and starts) into a complete one: solve the model with those fixed, briefly.

        CP-SAT starts from a complete, feasible hint at once; a partial one it may fail to complete in time.
        """
        from ortools.sat.python import cp_model

        m = self.m
        fixed = m.Clone()
        fixed.ClearHints()
        for key, opts in self.options.items():
            h = hints.get(key)
            for o in opts:
                if o.lit is True:
                    continue
                index = o.lit.Index()
                lit = fixed.GetBoolVarFromProtoIndex(index)
                on = h is not None and h[0] == o.day
                fixed.Add(lit == int(on))
                if on and h is not None and not isinstance(o.start, int):
                    start = fixed.GetIntVarFromProtoIndex(o.start.Index())
                    fixed.Add(start == h[0] * UNITS_PER_DAY + h[1] // RESOLUTION)
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

    def read_solution(self, solver: Any) -> list[ScheduledItem]:
        """The timetable, read from a solver that found one."""
        scheduled: list[ScheduledItem] = []
        for r in self.instance.requests:
            for o in self.options.get(r.key, []):
                if o.lit is True or solver.BooleanValue(o.lit):
                    start_units = o.start if isinstance(o.start, int) else solver.Value(o.start)
                    minute = (start_units - o.day * UNITS_PER_DAY) * RESOLUTION
                    profs = r.professional_ids
                    if r.key in self.rt_attend:
                        profs = tuple(pid for pid, a in self.rt_attend[r.key] if solver.BooleanValue(a))
                    scheduled.append(item_at(self.instance, r, o.day, minute, profs))
                    break
        return scheduled
