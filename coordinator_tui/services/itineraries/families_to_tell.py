"""Families to tell: whose calendar no longer matches the clinic, derived from what was exported and from the
records that families were told (``FamilyTold``).

What a family was sent is in ``ExportedEvent`` (one row per calendar event: uid, patient, clinic, the fingerprint
of what was sent, its kind, title and times, when, and when its cancellation was first sent). What they should have
now is their itinerary built from the database and turned into calendar entries exactly as an export would
(``export.ics.calendar_entries``). A family is to be told when the two differ:

- an event sent that is not current any more: an appointment deleted, a travel leg or the hotel removed; every
  event of a family that declined, was cancelled or was taken off the clinic, or of a cancelled clinic (a
  *withdrawal*: their calendar still shows it);
- an event whose fingerprint changed (moved, cancelled, anything a family would see), or an event not sent yet;
- the clinic moved since their last export (its dates changed in the audit log).

A change that is not a withdrawal leaves the list once an itinerary matching the clinic as it is now has been
exported (every current event exported with its current fingerprint). A withdrawal goes out as a cancellation
(``STATUS:CANCELLED``, ``export.withdrawals``) in the family's next export, but calendar programs may ignore it, so
it stays listed, saying whether its cancellation has been sent yet, until a ``FamilyTold`` record made after the
cancellation was sent (``family_told.record_family_told``); an export alone does not clear it. An event sent as
cancelled and then deleted changes nothing for the family and is not listed. Families never sent anything are not
listed; clinics whose last day has passed are not looked at.

Which kind of event a row was is ``ExportedEvent.kind`` (travel and hotel UIDs are random, they say nothing).

Cost per clinic: one query for the exported rows, one for the families told, the itineraries of the families
concerned built once (a fixed number of queries), one for the families and their places, and two on the audit log
(the clinic's date changes, deleted appointments of those families).

Use cases (for the screens and the command line)::

    clinic_families_to_tell(database, clinic_id) -> list[FamilyToTell]
    clinic_to_tell(database, clinic_id) -> ClinicToTell               # the same with the clinic's name and date
    upcoming_families_to_tell(database) -> list[ClinicToTell]      # every clinic not yet finished
    patient_visits_to_tell(session, patient_id) -> dict[int, FamilyToTell]   # by clinic id
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.clinic_time import format_date, to_local
from coordinator_tui.db import Database
from coordinator_tui.export.ics import EVENING_REMINDER_TEXT, CalendarEntry, calendar_entries
from coordinator_tui.export.withdrawals import cancellable, coming
from coordinator_tui.models import (
    Appointment,
    AppointmentStatus,
    AttendanceStatus,
    AuditAction,
    AuditEvent,
    CancelledBy,
    ClinicAttendance,
    ClinicEvent,
    ClinicStatus,
    ExportedEvent,
    FamilyTold,
    Patient,
    Service,
)
from coordinator_tui.services.errors import NotFoundError
from coordinator_tui.services.itineraries.itinerary import (
    ItemKind,
    Itinerary,
    ItineraryItem,
    build_clinic_itineraries,
)

#: Appointment changes of one kind listed by name before the rest are counted.
LISTED_APPOINTMENTS = 3
#: Statuses after the visit: nothing left to tell.
AFTER_THE_VISIT = frozenset({AttendanceStatus.DID_NOT_ATTEND})

_KIND_GROUP = {
    ItemKind.TRAVEL_OUT: ("travel", "travel to the clinic"),
    ItemKind.TRAVEL_HOME: ("travel home", "travel home"),
    ItemKind.HOTEL_CHECK_IN: ("hotel", "hotel check-in"),
    ItemKind.HOTEL_CHECK_OUT: ("hotel", "hotel check-out"),
}


@dataclass(frozen=True)
class Reason:
    """Why a family is to be told, in words a coordinator can act on; a withdrawal an export alone cannot clear."""

    text: str
    withdrawal: bool = False


@dataclass(frozen=True)
class FamilyToTell:
    clinic_id: int
    clinic_name: str
    patient_id: int
    full_name: str
    last_sent: dt.date  # the local date of their last export to this clinic
    reasons: tuple[Reason, ...]
    # A withdrawal whose cancellation has not been exported yet (export first, then tell them).
    unsent: bool = False
    # The last time the family was recorded as told (local date), if ever.
    last_told: dt.date | None = None

    @property
    def withdrawal(self) -> bool:
        return any(r.withdrawal for r in self.reasons)

    @property
    def reason_text(self) -> str:
        return "; ".join(r.text for r in self.reasons)

    @property
    def mark(self) -> str:
        """'! send' (a withdrawal's cancellation not exported yet), '! tell' (exported, the family not yet told),
        'resend' (a change an export clears)."""
        if self.withdrawal:
            return "! send" if self.unsent else "! tell"
        return "resend"


@dataclass(frozen=True)
class ClinicToTell:
    clinic_id: int
    clinic_name: str
    start_date: dt.date
    families: list[FamilyToTell]


@dataclass(frozen=True)
class _History:
    """From the audit log: appointments deleted (as they were), appointments cancelled since the last export."""

    deleted: Mapping[str, Mapping[str, Any]]
    cancelled: Mapping[str, dt.datetime]


@dataclass(frozen=True)
class _Withdrawn:
    """What a family's withdrawals still need: exporting (their cancellation not sent), telling, or nothing."""

    told: dt.datetime | None  # the last FamilyTold record's recorded_at

    def pending(self, row: ExportedEvent) -> bool:
        """Still to tell: not told since its cancellation was sent (or, one that cannot be written, since sent)."""
        if row.status == "CANCELLED":
            return False  # last sent as cancelled, then deleted: the family's calendar already shows it cancelled
        if self.told is None:
            return True
        if cancellable(row):  # told strictly after the cancellation was sent
            return row.withdrawn_at is None or self.told <= row.withdrawn_at
        return self.told <= row.last_exported

    @staticmethod
    def unsent(row: ExportedEvent) -> bool:
        return cancellable(row) and row.withdrawn_at is None


@dataclass(frozen=True)
class _Change:
    """One event's difference: its group (for merging a hotel's two events), what it is, what happened."""

    group: str
    label: str
    outcome: str  # booked, changed, cancelled, removed, deleted
    order: tuple[int, str, str]  # itinerary order: travel out and hotel, appointments by time, home, gone
    state: str = ""  # a withdrawal: whether its cancellation was sent, what to do

    @property
    def withdrawal(self) -> bool:
        return self.outcome in {"removed", "deleted"}


#: What a withdrawal still needs, by whether its cancellation was exported ({} is the day it was).
NOT_SENT_YET = "cancellation not sent yet: export, then tell them"
SENT_ON = "cancellation sent on {}: tell them and record it"
CANNOT_BE_SENT = "their calendar still shows it (sent before cancellations could be written): tell them and record it"


def withdrawal_state(rows: Sequence[ExportedEvent], zone_name: str) -> str:
    """What to do about withdrawn events (``NOT_SENT_YET``, ``SENT_ON`` the latest day one was sent, or
    ``CANNOT_BE_SENT``)."""
    if any(_Withdrawn.unsent(r) for r in rows):
        return NOT_SENT_YET
    sent = [r.withdrawn_at for r in rows if r.withdrawn_at is not None]
    if sent:
        return SENT_ON.format(format_date(to_local(max(sent), zone_name).date()))
    return CANNOT_BE_SENT


# ------------------------------------------------------------------------------------------------------------
# Use cases
# ------------------------------------------------------------------------------------------------------------


def clinic_families_to_tell(database: Database, clinic_id: int) -> list[FamilyToTell]:
    """The families of one clinic to tell (empty once the clinic is over); NotFoundError for an unknown clinic."""
    return database.read(families_to_tell, clinic_id)


def clinic_to_tell(database: Database, clinic_id: int) -> ClinicToTell:
    """One clinic with its families to tell (none once it is over); NotFoundError for an unknown clinic."""
    return database.read(_clinic_to_tell, clinic_id)


def _clinic_to_tell(session: Session, clinic_id: int) -> ClinicToTell:
    families = families_to_tell(session, clinic_id)
    clinic = session.get(ClinicEvent, clinic_id)
    assert clinic is not None and clinic.id is not None
    return ClinicToTell(clinic.id, clinic.name, clinic.start_date, families)


def upcoming_families_to_tell(database: Database) -> list[ClinicToTell]:
    """Every clinic not yet finished that has families to tell, in date order."""
    return database.read(upcoming_to_tell)


def patient_visits_to_tell(session: Session, patient_id: int) -> dict[int, FamilyToTell]:
    """For one patient, by clinic id: the visits (not finished) whose itinerary needs telling again."""
    clinic_ids = session.exec(
        select(ExportedEvent.clinic_event_id)
        .join(ClinicEvent, col(ClinicEvent.id) == ExportedEvent.clinic_event_id)
        .where(col(ExportedEvent.patient_id) == patient_id, _not_long_past())
        .distinct()
    ).all()
    found: dict[int, FamilyToTell] = {}
    for clinic_id in sorted(clinic_ids):
        for family in families_to_tell(session, clinic_id, [patient_id]):
            found[clinic_id] = family
    return found


def _not_long_past() -> Any:
    """Clinics that may not be over yet (they last at most five days): the past ones are not read at all, and
    ``families_to_tell`` decides for the few days around today in the service's time zone."""
    return col(ClinicEvent.start_date) >= clock.today() - dt.timedelta(days=5)


def upcoming_to_tell(session: Session) -> list[ClinicToTell]:
    clinic_ids = session.exec(select(ExportedEvent.clinic_event_id).distinct()).all()
    clinics = session.exec(select(ClinicEvent).where(col(ClinicEvent.id).in_(list(clinic_ids)), _not_long_past())).all()
    result = []
    for clinic in sorted(clinics, key=lambda c: (c.start_date, c.id or 0)):
        assert clinic.id is not None
        families = families_to_tell(session, clinic.id)
        if families:
            result.append(ClinicToTell(clinic.id, clinic.name, clinic.start_date, families))
    return result


# ------------------------------------------------------------------------------------------------------------
# One clinic
# ------------------------------------------------------------------------------------------------------------


def families_to_tell(session: Session, clinic_id: int, patient_ids: Sequence[int] | None = None) -> list[FamilyToTell]:
    """The families of a clinic (or among ``patient_ids``) whose calendar no longer matches it, by name."""
    clinic = session.get(ClinicEvent, clinic_id)
    if clinic is None:
        raise NotFoundError(f"no clinic with id {clinic_id}")
    service = session.get(Service, clinic.service_id)
    zone_name = service.timezone if service is not None else "Europe/London"
    if clinic.end_date < clock.today(zone_name):
        return []
    sent = _sent_events(session, clinic_id, patient_ids)
    if not sent:
        return []
    patients = {p.id: p for p in session.exec(select(Patient).where(col(Patient.id).in_(list(sent)))).all()}
    places = {
        a.patient_id: a
        for a in session.exec(
            select(ClinicAttendance)
            .where(col(ClinicAttendance.clinic_event_id) == clinic_id)
            .where(col(ClinicAttendance.patient_id).in_(list(sent)))
        ).all()
    }
    told = _last_told(session, clinic_id, list(sent))
    cancelled = clinic.status is ClinicStatus.CANCELLED
    # A family sent one before replying (the export asks first) is compared like a confirmed one.
    live = [pid for pid in sent if coming(clinic, places.get(pid)) and places[pid].status not in AFTER_THE_VISIT]
    built = build_clinic_itineraries(session, clinic_id, live, unconfirmed=True) if live else []
    itineraries = {it.patient_id: it for it in built}
    moves = _date_changes(session, clinic_id)
    first_sent = min(r.last_exported for rows in sent.values() for r in rows)
    deleted = _deleted_appointments(session, list(sent), clinic_id)
    cancelled_at = _appointments_cancelled(session, list(sent), first_sent)

    found = []
    for patient_id, rows in sent.items():
        last = max(r.last_exported for r in rows)
        sent_on = to_local(last, zone_name).date()
        withdrawn = _Withdrawn(told.get(patient_id))
        unsent = False
        if patient_id in itineraries:
            reasons = _moved(clinic, moves, last)
            history = _History(deleted, {uid: at for uid, at in cancelled_at.items() if at > last})
            changes = _event_changes(itineraries[patient_id], rows, history, zone_name, withdrawn, moved=bool(reasons))
            reasons += _words(changes)
            current = {item.uid for item in itineraries[patient_id].items if item.uid}
            unsent = any(withdrawn.unsent(r) and withdrawn.pending(r) for r in rows if r.uid not in current)
        else:
            pending = [r for r in rows if withdrawn.pending(r)]
            why = "clinic cancelled" if cancelled else _place_why(places.get(patient_id))
            reasons = []
            if pending and why:
                state = withdrawal_state(pending, zone_name)
                reasons = [Reason(f"{why} after an itinerary was sent on {format_date(sent_on)}: {state}", True)]
            elif why is None and places.get(patient_id) is not None:
                reasons = _status_reasons(places[patient_id], sent_on)
            unsent = any(withdrawn.unsent(r) for r in pending)
        patient = patients.get(patient_id)
        if reasons and patient is not None:
            name = f"{patient.given_name} {patient.family_name}"
            told_on = told.get(patient_id)
            found.append(
                FamilyToTell(
                    clinic_id,
                    clinic.name,
                    patient_id,
                    name,
                    sent_on,
                    tuple(reasons),
                    unsent=unsent,
                    last_told=to_local(told_on, zone_name).date() if told_on is not None else None,
                )
            )
    found.sort(key=lambda f: (patients[f.patient_id].family_name.casefold(), f.full_name.casefold(), f.patient_id))
    return found


def _sent_events(session: Session, clinic_id: int, patient_ids: Sequence[int] | None) -> dict[int, list[ExportedEvent]]:
    query = select(ExportedEvent).where(col(ExportedEvent.clinic_event_id) == clinic_id)
    if patient_ids is not None:
        query = query.where(col(ExportedEvent.patient_id).in_(list(patient_ids)))
    sent: dict[int, list[ExportedEvent]] = defaultdict(list)
    for row in session.exec(query).all():
        sent[row.patient_id].append(row)
    return dict(sent)


def _last_told(session: Session, clinic_id: int, patient_ids: list[int]) -> dict[int, dt.datetime]:
    """When each family was last recorded as told about this clinic (``FamilyTold.recorded_at``), one query."""
    rows = session.exec(
        select(FamilyTold.patient_id, sa.func.max(FamilyTold.recorded_at))
        .where(col(FamilyTold.clinic_event_id) == clinic_id, col(FamilyTold.patient_id).in_(patient_ids))
        .group_by(col(FamilyTold.patient_id))
    ).all()
    return {patient_id: _aware(at) for patient_id, at in rows if at is not None}


def _aware(moment: dt.datetime) -> dt.datetime:
    """An aggregate's value comes back without the column's type on SQLite: a naive UTC time, made aware."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _place_why(place: ClinicAttendance | None) -> str | None:
    """Why a family no longer coming is: 'declined', 'place cancelled by the family', 'taken off the clinic'."""
    if place is None:
        return "taken off the clinic"
    if place.status is AttendanceStatus.DECLINED:
        return "declined"
    if place.status is AttendanceStatus.CANCELLED:
        by = {CancelledBy.FAMILY.value: " by the family", CancelledBy.SERVICE.value: " by the service"}
        return f"place cancelled{by.get(place.cancelled_by, '')}"
    return None


def _status_reasons(place: ClinicAttendance, sent_on: dt.date) -> list[Reason]:
    """A family coming whose status changed oddly since (after the visit: nothing)."""
    if place.status in AFTER_THE_VISIT:
        return []
    return [Reason(f"now '{place.status.value}' after an itinerary was sent on {format_date(sent_on)}: check what "
                   "they were sent")]  # fmt: skip


# ------------------------------------------------------------------------------------------------------------
# The clinic's dates (the audit log keeps every change)
# ------------------------------------------------------------------------------------------------------------


def _date_changes(session: Session, clinic_id: int) -> list[tuple[dt.datetime, dict[str, Any]]]:
    """The clinic's updates that changed its start date or length, oldest first, with the values before."""
    events = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.entity) == "clinicevent")
        .where(col(AuditEvent.entity_id) == str(clinic_id))
        .where(col(AuditEvent.action) == AuditAction.UPDATE)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    changes = []
    for event in events:
        before = _json(event.before)
        if "start_date" in before or "days" in before:
            changes.append((event.at, before))
    return changes


def _moved(clinic: ClinicEvent, moves: Sequence[tuple[dt.datetime, dict[str, Any]]], last: dt.datetime) -> list[Reason]:
    """'clinic moved from 14/12/2026 to 11/01/2027' when the dates differ from those of the family's last export."""
    later = [before for at, before in moves if at > last]
    if not later:
        return []
    first = later[0]
    try:
        old_start = dt.date.fromisoformat(str(first.get("start_date", clinic.start_date.isoformat())))
    except ValueError:
        return [Reason("clinic moved")]
    old_days = int(first.get("days", clinic.days))
    if (old_start, old_days) == (clinic.start_date, clinic.days):
        return []
    old = _dates_text(old_start, old_days)
    return [Reason(f"clinic moved from {old} to {_dates_text(clinic.start_date, clinic.days)}")]


def _dates_text(start: dt.date, days: int) -> str:
    if days <= 1:
        return format_date(start)
    return f"{start:%d/%m}–{format_date(start + dt.timedelta(days=days - 1))}"


def _deleted_appointments(session: Session, patient_ids: list[int], clinic_id: int) -> dict[str, dict[str, Any]]:
    """Appointments of these families at this clinic deleted (ever: a withdrawal stays listed after the exports
    that sent its cancellation), by calendar UID, as they were."""
    events = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.entity) == "appointment")
        .where(col(AuditEvent.action) == AuditAction.DELETE)
        .where(col(AuditEvent.patient_id).in_(patient_ids))
        .order_by(col(AuditEvent.id))
    ).all()
    deleted = {}
    for event in events:
        before = _json(event.before)
        if before.get("uid") and before.get("clinic_event_id") in (clinic_id, str(clinic_id)):
            deleted[str(before["uid"])] = before
    return deleted


def _appointments_cancelled(session: Session, patient_ids: list[int], since: dt.datetime) -> dict[str, dt.datetime]:
    """When appointments of these families were last cancelled (since ``since``), by calendar UID."""
    events = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.entity) == "appointment")
        .where(col(AuditEvent.action) == AuditAction.UPDATE)
        .where(col(AuditEvent.patient_id).in_(patient_ids))
        .where(col(AuditEvent.at) >= since)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    when: dict[int, dt.datetime] = {}
    for event in events:
        if _json(event.after).get("status") == AppointmentStatus.CANCELLED.value and event.entity_id.isdigit():
            when[int(event.entity_id)] = event.at
    if not when:
        return {}
    uids = session.exec(select(Appointment.id, Appointment.uid).where(col(Appointment.id).in_(list(when)))).all()
    return {uid: when[appointment_id] for appointment_id, uid in uids if appointment_id is not None}


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ------------------------------------------------------------------------------------------------------------
# Event by event
# ------------------------------------------------------------------------------------------------------------


def _event_changes(
    itinerary: Itinerary,
    rows: Iterable[ExportedEvent],
    history: _History,
    zone_name: str,
    withdrawn: _Withdrawn,
    *,
    moved: bool,
) -> list[_Change]:
    """What differs between the events sent and the itinerary now (a move's shifted events go without saying); a
    withdrawal the family was told about since its cancellation was sent is not a difference any more."""
    items = {item.uid: item for item in itinerary.items if item.uid}
    entries = {entry.uid: entry for entry in calendar_entries(itinerary)}
    current = {uid: entry.fingerprint() for uid, entry in entries.items()}
    sent = {row.uid: row for row in rows}
    changes: list[_Change] = []
    for uid, fingerprint in current.items():
        item = items[uid]
        row = sent.get(uid)
        if row is None:
            if not item.cancelled:  # booked and cancelled since: the family never saw it
                changes.append(_current_change(item, "booked"))
        elif row.fingerprint != fingerprint and not _only_gained_the_evening_reminder(entries[uid], row.fingerprint):
            outcome = "cancelled" if item.cancelled and _cancelled_since(item, history) else "changed"
            if not (moved and outcome == "changed"):
                changes.append(_current_change(item, outcome))
    for uid in sent.keys() - current.keys():
        row = sent[uid]
        if withdrawn.pending(row):
            changes.append(_gone_change(row, history.deleted.get(uid), zone_name))
    return sorted(changes, key=lambda c: c.order)


def _only_gained_the_evening_reminder(entry: CalendarEntry, sent: str) -> bool:
    """The evening-before reminder moved onto this appointment (the one before it was cancelled or moved, which is
    said of that one): nothing else about it changed."""
    alarms = tuple(a for a in entry.alarms if not a.description.startswith(EVENING_REMINDER_TEXT))
    return len(alarms) < len(entry.alarms) and replace(entry, alarms=alarms).fingerprint() == sent


def _cancelled_since(item: ItineraryItem, history: _History) -> bool:
    """An appointment cancelled since the export (not one sent as cancelled and changed since); travel and hotel
    are cancelled only with their clinic, which is said of the clinic."""
    return item.kind is not ItemKind.APPOINTMENT or item.uid in history.cancelled


def _when(moment: dt.datetime) -> str:
    return f"{moment:%H:%M %a} {moment:%d/%m}"


def _current_change(item: ItineraryItem, outcome: str) -> _Change:
    if item.kind is ItemKind.APPOINTMENT:
        assert item.start is not None
        label = f"appointment {item.discipline or item.title} {_when(item.start)}"
        return _Change("appointment", label, outcome, (1, item.start.astimezone(dt.UTC).isoformat(), item.uid))
    group, label = _KIND_GROUP.get(item.kind, ("event", "an event"))
    moment = item.start.astimezone(dt.UTC).isoformat() if item.start is not None else item.day.isoformat()
    return _Change(group, label, outcome, (0 if group != "travel home" else 2, moment, item.uid))


def _gone_change(row: ExportedEvent, appointment: Mapping[str, Any] | None, zone_name: str) -> _Change:
    """A withdrawn event, named by its kind (and an appointment by its discipline and when it was)."""
    state = withdrawal_state([row], zone_name)
    kind = row.kind
    if kind in _KIND_GROUP:
        group, label = _KIND_GROUP[ItemKind(kind)]
        return _Change(group, label, "removed", (3, "", row.uid), state)
    if kind != ItemKind.APPOINTMENT.value and appointment is None:
        return _Change("event", "an event", "removed", (3, "", row.uid), state)
    label = "appointment"
    if appointment is not None and appointment.get("discipline"):
        label += f" {appointment['discipline']}"
    start: dt.datetime | None = row.start
    if appointment is not None and appointment.get("start"):
        with contextlib.suppress(ValueError):
            start = dt.datetime.fromisoformat(str(appointment["start"]))
    if start is not None:
        label += f" {_when(to_local(start, zone_name))}"
    return _Change("appointment", label, "deleted", (3, "", row.uid), state)


def _words(changes: list[_Change]) -> list[Reason]:
    """One reason per change, a hotel's two events as one when both went the same way, long runs counted."""
    reasons: list[Reason] = []
    hotel = [c for c in changes if c.group == "hotel"]
    merge_hotel = len(hotel) == 2 and hotel[0].outcome == hotel[1].outcome
    hotel_said = False
    by_outcome: dict[str, int] = defaultdict(int)
    for change in changes:
        if change.group == "hotel" and merge_hotel:
            if hotel_said:
                continue
            hotel_said = True
            state = hotel[0].state if hotel[0].state == hotel[1].state else hotel[1].state
            change = _Change("hotel", "hotel", change.outcome, change.order, state)
        if change.group == "appointment":
            by_outcome[change.outcome] += 1
            if by_outcome[change.outcome] > LISTED_APPOINTMENTS:
                continue
        reasons.append(_reason(change))
    for outcome, count in by_outcome.items():
        if count > LISTED_APPOINTMENTS:
            more = count - LISTED_APPOINTMENTS
            text = f"and {more} more appointment{'s' if more != 1 else ''} {outcome}"
            state = next((c.state for c in changes if c.outcome == outcome and c.state), "")
            reasons.append(Reason(text + (f": {state}" if state else ""), outcome == "deleted"))
    return reasons


def _reason(change: _Change) -> Reason:
    text = f"{change.label} {change.outcome}"
    if change.withdrawal:
        return Reason(f"{text}: {change.state}", withdrawal=True)
    return Reason(text)
