"""Hand-style heuristics: first fit (the baseline a coordinator reaches by hand) and a dense dispatch schedule."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from .measures import evaluate, round_table_participants
from .model import RESOLUTION, ROUND_TABLE, Instance, Request, ScheduledItem, ceil5, floor5, overlaps
from .windows import fixed_round_table_start, has_someone_to_see, item_at, options_window


class Calendar:
    """Busy intervals per professional, room and patient (absolute minutes: day * 1440 + minute)."""

    def __init__(self) -> None:
        self.prof: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.room: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.patient: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        self.patient_lunch: dict[tuple[int, int], int] = {}  # (patient, day) -> lunch start minute

    def prof_free(self, pid: int, a: int, b: int) -> bool:
        return all(not overlaps(a, b, x, y) for x, y in self.prof[pid])

    def room_free(self, rid: int | None, a: int, b: int) -> bool:
        return rid is None or all(not overlaps(a, b, x, y) for x, y in self.room[rid])

    def patient_free(self, pid: int, a: int, b: int, building: str, walk: Callable[[str, str], int]) -> bool:
        """Whether the family is free from a to b, with the walk (``walk(building, other)`` minutes) to and from
        their other appointments."""
        for x, y, other in self.patient[pid]:
            gap = walk(building, other)
            if overlaps(a - gap, b + gap, x, y):
                return False
        return True


def no_walk(_first: str, _second: str) -> int:
    """A lunch break is taken where the family is: no walk to or from it."""
    return 0


def calendar_of(instance: Instance) -> Calendar:
    """A calendar holding the professionals and rooms of the appointments outside the plan."""
    cal = Calendar()
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
    middle = floor5((lo + hi - minutes) // 2)
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
    cal = calendar_of(instance)
    items: list[ScheduledItem] = []
    for r in instance.requests:
        if r.pinned is not None:
            it = item_at(instance, r, r.pinned.day, r.pinned.start, r.professional_ids)
            book(instance, cal, it)
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
                    lambda a, b, pid=pid: cal.patient_free(pid, a, b, "", no_walk), day, span, instance.lunch_minutes
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
                book(instance, cal, it)
                items.append(it)
    return items


def dispatch_timetable(instance: Instance) -> list[ScheduledItem]:
    """A dense list schedule: minute by minute, each free professional takes the free family with the least slack.

    Used as the solver's starting point (it is usually much tighter than first fit); whatever it cannot place is
    then tried first-fit. Keeps every rule the checker knows.
    """
    cal = calendar_of(instance)
    items: list[ScheduledItem] = []
    pending: dict[int, list[Request]] = defaultdict(list)
    for r in instance.requests:
        if r.pinned is not None:
            it = item_at(instance, r, r.pinned.day, r.pinned.start, r.professional_ids)
            book(instance, cal, it)
            items.append(it)
        elif r.kind != ROUND_TABLE and r.professional_ids:
            pending[r.patient_id].append(r)
    for day in range(instance.days):
        dispatch_day = _DispatchDay(instance, cal, items, pending, day)
        for t in range(ceil5(instance.day_start), floor5(instance.day_end) + 1, RESOLUTION):
            dispatch_day.step(t)
    # Whatever is left (and round-tables): first fit on top of the dense schedule.
    for r in instance.requests:
        if r.pinned is not None or any(it.key == r.key for it in items):
            continue
        it = _greedy_place(instance, cal, r, items) if r.kind != ROUND_TABLE else None
        if it is not None:
            book(instance, cal, it)
            items.append(it)
    for r in instance.requests:
        if r.kind == ROUND_TABLE and r.pinned is None:
            it = _greedy_round_table(instance, cal, r, items)
            if it is not None:
                book(instance, cal, it)
                items.append(it)
    return items


class _DispatchDay:
    """One clinic day of the dense list schedule: who has had lunch, who has had fasting bloods, what is left."""

    def __init__(
        self,
        instance: Instance,
        cal: Calendar,
        items: list[ScheduledItem],
        pending: dict[int, list[Request]],
        day: int,
    ) -> None:
        self.instance, self.cal, self.items, self.pending, self.day = instance, cal, items, pending, day
        self.lunch_minutes = instance.lunch_minutes
        self.prof_span = {
            s.professional_id: instance.lunch_span(s.start, s.end) for s in instance.staffing if s.day == day
        }
        self.hours = {s.professional_id: (s.start, s.end) for s in instance.staffing if s.day == day}
        pat_window = {pid: instance.patient_window(pid, day) for pid in instance.patients}
        if day == instance.days - 1:  # a round-table that stays where it is closes the family's day
            for pid, w in pat_window.items():
                if w is not None:
                    pat_window[pid] = (w[0], min(w[1], fixed_round_table_start(instance, pid, day)))
        self.pat_window = pat_window
        self.pat_span = {pid: (instance.lunch_span(*w) if w else None) for pid, w in pat_window.items()}
        self.prof_lunch: dict[int, bool] = {pid: span is None for pid, span in self.prof_span.items()}
        self.pat_lunch: dict[int, bool] = {pid: span is None for pid, span in self.pat_span.items()}
        self.fasting_done = {pid: day > 0 or not any(r.fasting for r in pending[pid]) for pid in instance.patients}
        self.offset = day * 1440

    def step(self, t: int) -> None:
        """Minute ``t``: lunches that can wait no longer, then each free professional's next family, then lunch
        for whoever is idle inside the lunch window."""
        self._lunch_when_due(t)
        a = self.offset + t
        free_profs = [
            pid for pid, (h0, h1) in self.hours.items() if h0 <= t < h1 and self.cal.prof_free(pid, a, a + RESOLUTION)
        ]
        load = {
            pid: sum(r.slot_minutes for reqs in self.pending.values() for r in reqs if pid in r.professional_ids)
            for pid in free_profs
        }
        for prof in sorted(free_profs, key=lambda p: (-load[p], p)):
            best = self._least_slack(prof, t)
            if best is not None:
                it = item_at(self.instance, best, self.day, t, best.professional_ids)
                book(self.instance, self.cal, it)
                self.items.append(it)
                self.pending[best.patient_id].remove(best)
                if best.fasting:
                    self.fasting_done[best.patient_id] = True
        self._lunch_when_idle(t)

    def _lunch_ok(self, span: tuple[int, int] | None, taken: bool, end: int) -> bool:
        return taken or span is None or end <= span[1] - self.lunch_minutes

    def _remaining_hours(self, pid: int, t: int) -> int:
        total = 0
        for d in range(self.day, self.instance.days):
            w = self.instance.patient_window(pid, d)
            if w:
                total += max(0, w[1] - max(w[0], t if d == self.day else 0))
        return total

    def _lunch_when_due(self, t: int) -> None:
        """Lunch when it can wait no longer."""
        a, minutes = self.offset + t, self.lunch_minutes
        for pid, span in self.prof_span.items():
            due = span and not self.prof_lunch[pid] and t == span[1] - minutes
            if due and self.cal.prof_free(pid, a, a + minutes):
                self.cal.prof[pid].append((a, a + minutes))
                self.prof_lunch[pid] = True
        for pid, pspan in self.pat_span.items():
            due = pspan and not self.pat_lunch[pid] and t == pspan[1] - minutes and self.fasting_done.get(pid, True)
            if due and self.cal.patient_free(pid, a, a + minutes, "", no_walk):
                self.cal.patient[pid].append((a, a + minutes, ""))
                self.pat_lunch[pid] = True

    def _lunch_when_idle(self, t: int) -> None:
        """Idle inside the lunch window with nothing possible right now: take lunch."""
        a, minutes = self.offset + t, self.lunch_minutes
        for pid, span in self.prof_span.items():
            in_window = span and not self.prof_lunch[pid] and span[0] <= t <= span[1] - minutes
            if in_window and self.cal.prof_free(pid, a, a + minutes):
                self.cal.prof[pid].append((a, a + minutes))
                self.prof_lunch[pid] = True
        for pid, pspan in self.pat_span.items():
            in_window = pspan and not self.pat_lunch[pid] and pspan[0] <= t <= pspan[1] - minutes
            ready = in_window and self.pending.get(pid) and self.fasting_done.get(pid, True)
            if ready and self.cal.patient_free(pid, a, a + minutes, "", no_walk):
                self.cal.patient[pid].append((a, a + minutes, ""))
                self.pat_lunch[pid] = True

    def _least_slack(self, prof: int, t: int) -> Request | None:
        """The request for ``prof`` that fits at ``t`` whose family has the least slack left."""
        best: tuple[int, Request] | None = None
        for pid, reqs in self.pending.items():
            w = self.pat_window.get(pid)
            if not w or not (w[0] <= t < w[1]):
                continue
            work = sum(r.slot_minutes for r in reqs)
            for r in reqs:
                if prof not in r.professional_ids or not self._fits(r, t, w):
                    continue
                slack = self._remaining_hours(pid, t) - work
                if best is None or slack < best[0]:
                    best = (slack, r)
        return None if best is None else best[1]

    def _fits(self, r: Request, t: int, w: tuple[int, int]) -> bool:
        """Can ``r`` start at ``t``: its family's window, every professional's hours, lunches, room and family?"""
        pid, hours, cal = r.patient_id, self.hours, self.cal
        if not self.fasting_done[pid] and not r.fasting:
            return False
        a, end = self.offset + t, t + r.slot_minutes
        if end > w[1] or any(
            not (hours.get(q, (0, 0))[0] <= t and end <= hours.get(q, (0, 0))[1])
            or not cal.prof_free(q, a, self.offset + end)
            or not self._lunch_ok(self.prof_span.get(q), self.prof_lunch.get(q, True), end)
            for q in r.professional_ids
        ):
            return False
        if not self._lunch_ok(self.pat_span.get(pid), self.pat_lunch.get(pid, True), end):
            return False
        room = self.instance.room_for(r, self.day)
        return cal.room_free(room, a, self.offset + end) and cal.patient_free(
            pid, a, self.offset + end, self.instance.building_of(room), self.instance.walk_minutes
        )


def book(instance: Instance, cal: Calendar, it: ScheduledItem) -> None:
    a, b = it.day * 1440 + it.start, it.day * 1440 + it.end
    for pid in it.professional_ids:
        cal.prof[pid].append((a, b))
    if it.room_id is not None:
        cal.room[it.room_id].append((a, b))
    cal.patient[it.patient_id].append((a, b, instance.building_of(it.room_id)))


def _greedy_place(instance: Instance, cal: Calendar, r: Request, items: list[ScheduledItem]) -> ScheduledItem | None:
    if not has_someone_to_see(r):
        return None
    mine_day0 = [it for it in items if it.patient_id == r.patient_id and it.day == 0]
    fasting_ends = [it.end for it in mine_day0 if _is_fasting(instance, it.key)]
    for day in range(instance.days):
        window = options_window(instance, r, day)
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
                and cal.patient_free(r.patient_id, a, b, building, instance.walk_minutes)
            ):
                return item_at(instance, r, day, t, r.professional_ids)
    return None


def _is_fasting(instance: Instance, key: str) -> bool:
    return any(r.key == key and r.fasting for r in instance.requests)


def _greedy_round_table(
    instance: Instance, cal: Calendar, r: Request, items: list[ScheduledItem]
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
            and cal.patient_free(r.patient_id, a, b, instance.building_of(room), instance.walk_minutes)
        ):
            return item_at(instance, r, day, t, profs)
    return None


def best_heuristic(instance: Instance) -> list[ScheduledItem]:
    """The better of first fit and the dense dispatch schedule: most placed, then lowest objective."""
    candidates = [greedy_timetable(instance), dispatch_timetable(instance)]
    return min(candidates, key=lambda items: (-len(items), evaluate(instance, items)))
