"""Why a request could not be placed, in words the coordinator can act on."""

from __future__ import annotations

from collections.abc import Sequence

from .model import ROUND_TABLE, Instance, Request, ScheduledItem, StaffDay, hhmm, hours_text
from .windows import options_window


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
    if all(options_window(instance, r, d) is None for d in range(instance.days)):
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
