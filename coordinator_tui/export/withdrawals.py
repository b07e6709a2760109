"""Withdrawals: events a family was sent that are no longer current, written as cancellations in their next export.

What a family was sent is in ``ExportedEvent`` (one row per calendar event, with what it last showed: kind, title,
location, status, times). An event sent and no longer in the family's current itinerary (an appointment deleted, a
travel leg or the hotel removed, every event of a family that declined or was cancelled, or of a cancelled clinic)
goes out in the family's next export as a VEVENT with ``STATUS:CANCELLED``, its old UID, its last sent times, the
title it was sent with after "Cancelled: " (neutral when it was sent neutral) and no reminder. ``assign_sequences``
raises its SEQUENCE the first time and sets ``withdrawn_at``; later exports include it again unchanged, so each file
is a full picture of the visit. A row from before migration 0010 whose record was already gone has no times: it
cannot be written (a VEVENT needs DTSTART) and stays on the families-to-tell list until the family is told.

A family no longer coming (declined, cancelled, taken off the clinic, or the clinic cancelled) who was sent events
gets a cancellation-only calendar file: :func:`cancellation_itinerary` is their itinerary with no items (the
calendar's name and the service's phone number), and their events are all withdrawals. A family never sent an
event gets nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence

from sqlmodel import Session, col, select

from coordinator_tui.export.ics import CalendarEntry
from coordinator_tui.models import (
    AttendanceStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStatus,
    ExportedEvent,
    Patient,
)
from coordinator_tui.services.itineraries.itinerary import ItemKind, Itinerary, empty_itinerary

#: A family with one of these statuses is no longer coming: what they were sent is withdrawn.
NOT_COMING = frozenset({AttendanceStatus.DECLINED, AttendanceStatus.CANCELLED})
#: The title of a cancellation starts with this.
CANCELLED_PREFIX = "Cancelled: "
#: The title used when what was sent is not known (a row from before the titles were kept).
NEUTRAL_TITLES = {
    ItemKind.APPOINTMENT.value: "Hospital appointment",
    ItemKind.TRAVEL_OUT.value: "Travel",
    ItemKind.TRAVEL_HOME.value: "Travel",
    ItemKind.HOTEL_CHECK_IN.value: "Hotel",
    ItemKind.HOTEL_CHECK_OUT.value: "Hotel",
}
CANCELLED_TEXT = "This has been cancelled: it is no longer happening. Please remove it from your calendar."


def sent_events(
    session: Session, clinic_id: int, patient_ids: Collection[int] | None = None
) -> dict[int, list[ExportedEvent]]:
    """The events sent for a clinic (or to ``patient_ids``), by patient, in one query."""
    query = select(ExportedEvent).where(col(ExportedEvent.clinic_event_id) == clinic_id)
    if patient_ids is not None:
        query = query.where(col(ExportedEvent.patient_id).in_(list(patient_ids)))
    sent: dict[int, list[ExportedEvent]] = defaultdict(list)
    for row in session.exec(query).all():
        sent[row.patient_id].append(row)
    return dict(sent)


def coming(clinic: ClinicEvent, place: ClinicAttendance | None) -> bool:
    """False when a family's events are all withdrawn: the clinic cancelled, no place, declined or cancelled."""
    if clinic.status is ClinicStatus.CANCELLED or place is None:
        return False
    return AttendanceStatus(place.status) not in NOT_COMING


def cancellable(row: ExportedEvent) -> bool:
    """Whether a cancellation of ``row`` can be written: its times were kept."""
    return row.start is not None or row.day is not None


def cancellation_entry(row: ExportedEvent, call_line: str = "") -> CalendarEntry | None:
    """The cancellation of a sent event (None when its times are not known). ``call_line`` is whom the family
    calls ("Alström clinic on 0121 …"), as on every event."""
    if not cancellable(row):
        return None
    summary = row.summary.strip()
    if summary.casefold().startswith(CANCELLED_PREFIX.casefold()):
        summary = summary[len(CANCELLED_PREFIX) :].strip()
    summary = summary or NEUTRAL_TITLES.get(row.kind, "Hospital visit")
    lines = [CANCELLED_TEXT]
    if call_line:
        lines.append(f"If you have any questions, call {call_line}")
    timed = row.start is not None
    return CalendarEntry(
        uid=row.uid,
        summary=f"{CANCELLED_PREFIX}{summary}",
        description="\n".join(lines),
        location=row.location,
        status="CANCELLED",
        start=row.start if timed else None,
        end=(row.end or row.start) if timed else None,
        day=None if timed else row.day,
        transparent=True,
        kind=row.kind,
    )


def _sort_key(entry: CalendarEntry) -> tuple[str, str]:
    if entry.start is not None:
        return (entry.start.astimezone(dt.UTC).isoformat(), entry.uid)
    return ((entry.day or dt.date.min).isoformat(), entry.uid)


def withdrawn_entries(
    rows: Iterable[ExportedEvent], current_uids: Collection[str], call_line: str = ""
) -> list[CalendarEntry]:
    """The cancellations of the events sent (``rows``) that are not among ``current_uids``, in time order."""
    entries = []
    for row in rows:
        if row.uid in current_uids:
            continue
        entry = cancellation_entry(row, call_line)
        if entry is not None:
            entries.append(entry)
    return sorted(entries, key=_sort_key)


def withdrawals_by_patient(
    session: Session,
    clinic_id: int,
    current: Mapping[int, Sequence[CalendarEntry]],
    call_lines: Mapping[int, str],
) -> dict[int, list[CalendarEntry]]:
    """For each family in ``current`` (their current entries; empty for a family no longer coming), the
    cancellations of what they were sent and is no longer current. One query."""
    sent = sent_events(session, clinic_id, list(current))
    found = {}
    for patient_id, entries in current.items():
        rows = sent.get(patient_id, [])
        found[patient_id] = withdrawn_entries(rows, {e.uid for e in entries}, call_lines.get(patient_id, ""))
    return found


def families_no_longer_coming(session: Session, clinic: ClinicEvent) -> list[int]:
    """The families of a clinic who were sent events and are no longer coming (declined, cancelled, taken off,
    or every family of a cancelled clinic), by patient id. Two queries."""
    assert clinic.id is not None
    sent_ids = set(
        session.exec(
            select(ExportedEvent.patient_id).where(col(ExportedEvent.clinic_event_id) == clinic.id).distinct()
        ).all()
    )
    if not sent_ids:
        return []
    places = {
        p.patient_id: p
        for p in session.exec(
            select(ClinicAttendance).where(
                col(ClinicAttendance.clinic_event_id) == clinic.id, col(ClinicAttendance.patient_id).in_(list(sent_ids))
            )
        ).all()
    }
    return sorted(pid for pid in sent_ids if not coming(clinic, places.get(pid)))


def cancellation_itinerary(session: Session, clinic: ClinicEvent, patient: Patient) -> Itinerary:
    """The itinerary of a family no longer coming: no items, only what a cancellation-only file names (the
    calendar's name, whom to call)."""
    return empty_itinerary(session, clinic, patient)


def cancellation_only_text(itinerary: Itinerary, count: int) -> str:
    """What a preview says of a cancellation-only file."""
    events = "event" if count == 1 else "events"
    return (
        f"{itinerary.given_name} {itinerary.family_name} is no longer coming to {itinerary.clinic_name}"
        f"{' (the clinic is cancelled)' if itinerary.clinic_cancelled else ''}.\n"
        f"The export writes a calendar file (.ics) cancelling the {count} {events} they were sent, so their "
        "calendar shows them cancelled. Tell the family too, and record it (o on the clinic's To tell tab, or "
        "tell --record)."
    )
