"""Itineraries as iCalendar (.ics) files, built with the ``ics`` package (0.7.x) and its gaps closed on top.

What ``ics`` 0.7 does for us: the VCALENDAR/VEVENT/VALARM structure, UTC date-times, all-day dates, relative
alarm triggers (``-PT1H``), STATUS, TRANSP, and escaping of ``\\ ; , newline`` in SUMMARY, DESCRIPTION, LOCATION
and alarm DESCRIPTION. What it does not, and how each gap is closed here:

- DTSTAMP is only written when ``Event.created`` is set (it is the property ``ics`` calls "created"): we always
  set it to the export moment, so every VEVENT has UID and DTSTAMP.
- No line folding, and RFC 5545 needs lines of at most 75 octets: :func:`fold` folds the serialised output,
  never inside a UTF-8 character (continuation lines start with one space).
- ``\\r`` is escaped as ``\\r``, which is not an RFC 5545 escape, and control characters pass through:
  :func:`clean_text` turns every line-break character into ``\\n`` and drops other control characters *before*
  ``ics`` escapes the text, so no user text can end a line and start a property of its own.
- Calendar-level text (X-WR-CALNAME) is not escaped by ``ics``: we escape it with the same rules.
- No SEQUENCE property: added through the event's ``extra`` container.
- ``Calendar.events`` is a set, so ``ics`` writes events in no fixed order: each event is serialised on its own
  and put into the calendar in itinerary order, which keeps files stable and diffable.

Time zone: times are written as UTC date-times (``DTSTART:20270329T080000Z``), which is the only form ``ics`` 0.7
writes, and the one calendar apps handle best: RFC 5545 "form #2" is an absolute moment, so Google Calendar,
Apple Calendar, Outlook and Thunderbird all show it at the right wall-clock time in the device's zone (09:00 in
London for a 09:00 BST appointment) with no VTIMEZONE to interpret. A hand-written VTIMEZONE is the classic
source of hour-off bugs (Outlook ignores or misreads non-Windows definitions; a missing or stale RRULE shifts
events after the clocks change), and we never write floating local times, which would move with the phone.
The UTC values are computed from the database's aware datetimes, so both sides of a summer-time change are right.
X-WR-TIMEZONE is deliberately not written: some clients use it to reinterpret times.

Stable identity: an appointment's UID is ``Appointment.uid``; travel and hotel events get UIDs built from the
clinic and patient ids. :func:`assign_sequences` keeps, per UID, a fingerprint of what was last sent and its
SEQUENCE in ``ExportedEvent``: unchanged events keep their SEQUENCE, changed ones get the next number, new ones
start at 0; the caller's transaction commits it together with the files. Breaks are printed on paper only: they
have no identity of their own (they move whenever an appointment moves), so as calendar events they would be
left behind in the family's calendar by a re-import.

Every event's description ends with whom to call on the day (the service's short name and phone number, from
its details in the database).

Reminders (VALARM, DISPLAY): before each appointment (the service's ``reminder_minutes_before``), and one at 18:00 the
evening before day 1, carried by the first appointment of the visit. Triggers are relative to the event start,
the form every calendar app supports. Cancelled events carry no alarms. Not checked against real apps here: Outlook
keeps one reminder per event, so the first appointment may show only one of its two; Google Calendar is
reported to apply the user's default reminders to imported events rather than the file's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import arrow
from ics import Calendar, DisplayAlarm, Event
from ics.grammar.parse import ContentLine
from ics.utils import escape_string
from sqlmodel import Session, col, select

from coordinator_tui import __version__
from coordinator_tui.clinic_time import zone
from coordinator_tui.models import ExportedEvent
from coordinator_tui.services.itineraries.itinerary import ItemKind, Itinerary, ItineraryItem

PRODID = f"-//Coordinator TUI//Family itinerary {__version__}//EN"
EVENING_REMINDER_AT = dt.time(18, 0)
MAX_LINE_OCTETS = 75

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


@dataclass(frozen=True)
class CalendarAlarm:
    before: dt.timedelta  # how long before the event's start it goes off (positive)
    description: str


@dataclass(frozen=True)
class CalendarEntry:
    """One VEVENT, before SEQUENCE and DTSTAMP are known. Timed events have start/end; all-day ones a day."""

    uid: str
    summary: str
    description: str
    location: str
    status: str  # CONFIRMED, TENTATIVE or CANCELLED
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    day: dt.date | None = None
    transparent: bool = False
    alarms: tuple[CalendarAlarm, ...] = ()

    def fingerprint(self) -> str:
        """A hash of everything a family would see; DTSTAMP and SEQUENCE are not part of it."""
        data = asdict(self)
        for key in ("start", "end"):
            value = getattr(self, key)
            data[key] = value.astimezone(dt.UTC).isoformat() if value is not None else None
        data["day"] = self.day.isoformat() if self.day else None
        data["alarms"] = [[a.before.total_seconds(), a.description] for a in self.alarms]
        raw = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(raw).hexdigest()


# ------------------------------------------------------------------------------------------------------------
# Text safety
# ------------------------------------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Every line break becomes ``\\n``; other control characters and unencodable surrogates are dropped."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROLS.sub("", text)
    return text.encode("utf-8", "ignore").decode("utf-8")


def escape_text(text: str) -> str:
    """An RFC 5545 TEXT value: backslash, semicolon, comma and newline escaped (``ics``'s own escaping)."""
    return escape_string(clean_text(text))


def fold(line: str) -> bytes:
    """One content line as UTF-8, folded into physical lines of at most 75 octets, each ending in CRLF."""
    data = line.encode("utf-8")
    out: list[bytes] = []
    limit = MAX_LINE_OCTETS
    while len(data) > limit:
        cut = limit
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        out.append(data[:cut])
        data = data[cut:]
        limit = MAX_LINE_OCTETS - 1  # continuation lines start with a space
    out.append(data)
    return b"\r\n ".join(out) + b"\r\n"


# ------------------------------------------------------------------------------------------------------------
# Itinerary -> calendar entries
# ------------------------------------------------------------------------------------------------------------


def _hm(moment: dt.datetime) -> str:
    return f"{moment:%H:%M}"


def _with_names(item: ItineraryItem) -> str:
    if not item.professionals:
        return item.title
    return (
        f"{item.title} with {' and '.join(item.professionals)}"
        if len(item.professionals) <= 2
        else (f"{item.title} with {', '.join(item.professionals[:-1])} and {item.professionals[-1]}")
    )


def _status(item: ItineraryItem) -> str:
    if item.cancelled:
        return "CANCELLED"
    if item.tentative:
        return "TENTATIVE"
    return "CONFIRMED"


def _appointment_entry(itinerary: Itinerary, item: ItineraryItem, reminder: dt.timedelta) -> CalendarEntry:
    assert item.start is not None and item.end is not None
    summary = _with_names(item)
    if item.cancelled:
        summary = f"CANCELLED: {summary}"
    elif item.tentative:
        summary = f"{summary} (to be confirmed)"
    lines = [f"{_hm(item.start)} to {_hm(item.end)} ({item.minutes} minutes)"]
    if item.cancelled:
        lines.insert(0, "This appointment is cancelled.")
    if item.discipline and item.discipline != item.title:
        lines.append(f"Service: {item.discipline}")
    if item.professionals:
        lines.append(f"With: {', '.join(item.professionals)}")
    if item.location:
        lines.append(f"Where: {item.location}")
    if item.fasting:
        lines.append("Fasting: please follow the fasting instructions before this appointment.")
    if item.instructions:
        lines.append(f"Please note: {item.instructions}")
    lines.append(f"{itinerary.clinic_name}{', ' + itinerary.venue if itinerary.venue else ''}")
    lines.extend(_whom_to_call(itinerary))
    alarms: tuple[CalendarAlarm, ...] = ()
    if not item.cancelled and reminder > dt.timedelta(0):
        where = f" in {item.location}" if item.location else ""
        alarms = (CalendarAlarm(reminder, f"Reminder: {summary} at {_hm(item.start)}{where}."),)
    return CalendarEntry(
        uid=item.uid,
        summary=summary,
        description="\n".join(lines),
        location=", ".join(p for p in (item.room, item.building, itinerary.venue) if p),
        status=_status(item),
        start=item.start,
        end=item.end,
        alarms=alarms,
    )


def _whom_to_call(itinerary: Itinerary) -> list[str]:
    """The last line of every event's description: whom the family calls on the day (none without a number)."""
    return [f"On the day, call {itinerary.call_on_the_day}"] if itinerary.call_on_the_day else []


def _travel_entry(itinerary: Itinerary, item: ItineraryItem) -> CalendarEntry:
    assert item.start is not None and item.end is not None
    summary = f"{item.title} ({item.mode})" if item.mode else item.title
    if item.cancelled:
        summary = f"CANCELLED: {summary}"
    lines = [f"Depart {_hm(item.start)}"]
    if item.end > item.start:
        lines[0] += f", arrive {_hm(item.end)}"
    if item.mode:
        lines.append(f"By: {item.mode}")
    if item.reference:
        lines.append(f"Booking reference: {item.reference}")
    lines.extend(_whom_to_call(itinerary))
    return CalendarEntry(
        uid=item.uid,
        summary=summary,
        description="\n".join(lines),
        location="",
        status=_status(item),
        start=item.start,
        end=item.end,
    )


def _hotel_entry(itinerary: Itinerary, item: ItineraryItem) -> CalendarEntry:
    summary = f"{item.title}: {item.place}"
    if item.cancelled:
        summary = f"CANCELLED: {summary}"
    lines = [item.place]
    if item.address:
        lines.append(item.address)
    if item.phone:
        lines.append(f"Phone: {item.phone}")
    if item.reference:
        lines.append(f"Booking reference: {item.reference}")
    lines.extend(_whom_to_call(itinerary))
    return CalendarEntry(
        uid=item.uid,
        summary=summary,
        description="\n".join(lines),
        location=item.address,
        status=_status(item),
        day=item.day,
        transparent=True,
    )


def calendar_entries(itinerary: Itinerary, reminder_minutes: int | None = None) -> list[CalendarEntry]:
    """The VEVENTs of an itinerary, in itinerary order (breaks are not calendar events). The reminder before each
    appointment is the service's (``itinerary.reminder_minutes``) unless ``reminder_minutes`` is given."""
    minutes = itinerary.reminder_minutes if reminder_minutes is None else reminder_minutes
    reminder = dt.timedelta(minutes=max(minutes, 0))
    entries: list[CalendarEntry] = []
    first_live: tuple[int, ItineraryItem] | None = None
    for item in itinerary.items:
        if item.kind is ItemKind.APPOINTMENT:
            if first_live is None and not item.cancelled:
                first_live = (len(entries), item)
            entries.append(_appointment_entry(itinerary, item, reminder))
        elif item.kind in (ItemKind.TRAVEL_OUT, ItemKind.TRAVEL_HOME):
            entries.append(_travel_entry(itinerary, item))
        elif item.kind in (ItemKind.HOTEL_CHECK_IN, ItemKind.HOTEL_CHECK_OUT):
            entries.append(_hotel_entry(itinerary, item))
    if first_live is not None:
        index, item = first_live
        assert item.start is not None
        evening = dt.datetime.combine(
            itinerary.start_date - dt.timedelta(days=1), EVENING_REMINDER_AT, tzinfo=zone(itinerary.timezone)
        )
        # In UTC: Python subtracts two datetimes sharing a tzinfo as wall-clock times, ignoring a clock change.
        before = item.start.astimezone(dt.UTC) - evening.astimezone(dt.UTC)
        if before > dt.timedelta(0):
            where = f" in {item.location}" if item.location else ""
            text = (
                f"Tomorrow: {itinerary.clinic_name}. First appointment {_hm(item.start)} "
                f"on {item.start:%A}: {item.title}{where}."
            )
            if any(i.fasting and not i.cancelled for i in itinerary.appointments):
                text += " Remember the fasting instructions."
            entry = entries[index]
            entries[index] = CalendarEntry(**{**entry.__dict__, "alarms": (CalendarAlarm(before, text), *entry.alarms)})
    return entries


# ------------------------------------------------------------------------------------------------------------
# SEQUENCE bookkeeping
# ------------------------------------------------------------------------------------------------------------


def assign_sequences(
    session: Session,
    clinic_id: int,
    entries_by_patient: Mapping[int, Sequence[CalendarEntry]],
    now: dt.datetime,
) -> dict[str, int]:
    """SEQUENCE per UID: kept when the event is unchanged since the last export, raised by one when it changed,
    0 when it is new. Updates ``ExportedEvent`` in ``session`` (the caller's transaction)."""
    uids = [e.uid for entries in entries_by_patient.values() for e in entries]
    known: dict[str, ExportedEvent] = {}
    for chunk_start in range(0, len(uids), 500):
        chunk = uids[chunk_start : chunk_start + 500]
        for row in session.exec(select(ExportedEvent).where(col(ExportedEvent.uid).in_(chunk))).all():
            known[row.uid] = row
    sequences: dict[str, int] = {}
    for patient_id, entries in entries_by_patient.items():
        for entry in entries:
            fingerprint = entry.fingerprint()
            row = known.get(entry.uid)
            if row is None:
                row = ExportedEvent(
                    uid=entry.uid,
                    patient_id=patient_id,
                    clinic_event_id=clinic_id,
                    fingerprint=fingerprint,
                    sequence=0,
                    last_exported=now,
                )
                session.add(row)
                known[entry.uid] = row
            elif row.fingerprint != fingerprint:
                row.fingerprint = fingerprint
                row.sequence += 1
                row.last_exported = now
                session.add(row)
            else:
                row.last_exported = now
                session.add(row)
            sequences[entry.uid] = row.sequence
    session.flush()
    return sequences


# ------------------------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------------------------


def _arrow(moment: dt.datetime) -> arrow.Arrow:
    return arrow.Arrow.fromdatetime(moment.astimezone(dt.UTC))


def _event(entry: CalendarEntry, sequence: int, stamp: dt.datetime) -> Event:
    event = Event(
        name=clean_text(entry.summary),
        uid=clean_text(entry.uid),
        description=clean_text(entry.description) or None,
        location=clean_text(entry.location) or None,
        created=_arrow(stamp),  # serialised by ics as DTSTAMP
        status=entry.status,
        transparent=entry.transparent,
    )
    if entry.day is not None:
        event.begin = arrow.Arrow(entry.day.year, entry.day.month, entry.day.day, tzinfo=dt.UTC)
        event.make_all_day()
    else:
        assert entry.start is not None and entry.end is not None
        event.begin = _arrow(entry.start)
        event.end = _arrow(entry.end)
    event.alarms = [
        DisplayAlarm(trigger=-alarm.before, display_text=clean_text(alarm.description)) for alarm in entry.alarms
    ]
    event.extra.append(ContentLine("SEQUENCE", value=str(sequence)))
    return event


def render_ics(
    itinerary: Itinerary,
    entries: Iterable[CalendarEntry],
    sequences: Mapping[str, int],
    stamp: dt.datetime,
) -> bytes:
    """The .ics file: VERSION, PRODID, CALSCALE, METHOD:PUBLISH, X-WR-CALNAME, then the events in order;
    CRLF line ends, folded at 75 octets, UTF-8."""
    calendar = Calendar(creator=PRODID)
    calendar.scale = "GREGORIAN"
    calendar.method = "PUBLISH"
    head = calendar.serialize().split("\r\n")
    if head[-1] != "END:VCALENDAR":  # pragma: no cover - guards against an ics upgrade changing its output
        raise RuntimeError("unexpected output from the ics package")
    logical = head[:-1]
    # A calendar's name is one line: line breaks in names become spaces before escaping.
    calname = " ".join(clean_text(itinerary.title).split("\n"))
    logical.append(str(ContentLine("X-WR-CALNAME", value=escape_text(calname))))
    for entry in entries:
        event = _event(entry, sequences.get(entry.uid, 0), stamp)
        with warnings.catch_warnings():
            # ics serialises alarms with str(alarm), which warns about a 0.9 change; 0.7 is pinned (<0.8).
            warnings.simplefilter("ignore", FutureWarning)
            text = event.serialize()
        logical.extend(text.split("\r\n"))
    logical.append("END:VCALENDAR")
    return b"".join(fold(line) for line in logical)


def itinerary_to_ics(
    itinerary: Itinerary,
    *,
    reminder_minutes: int | None = None,
    sequences: Mapping[str, int] | None = None,
    stamp: dt.datetime | None = None,
) -> bytes:
    """Convenience for previews and tests: render without touching the database (SEQUENCE from ``sequences``)."""
    from coordinator_tui import clock

    entries = calendar_entries(itinerary, reminder_minutes)
    return render_ics(itinerary, entries, sequences or {}, stamp or clock.now())
