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
- It writes an event's VALARMs before its properties; RFC 5545 puts properties first and Outlook rejects events
  otherwise: :func:`properties_before_alarms` moves every VALARM after the event's last property.

Time zone: times are written as UTC date-times (``DTSTART:20270329T080000Z``), which is the only form ``ics`` 0.7
writes, and the one calendar apps handle best: RFC 5545 "form #2" is an absolute moment, so Google Calendar,
Apple Calendar, Outlook and Thunderbird all show it at the right wall-clock time in the device's zone (09:00 in
London for a 09:00 BST appointment) with no VTIMEZONE to interpret. A hand-written VTIMEZONE is the classic
source of hour-off bugs (Outlook ignores or misreads non-Windows definitions; a missing or stale RRULE shifts
events after the clocks change), and we never write floating local times, which would move with the phone.
The UTC values are computed from the database's aware datetimes, so both sides of a summer-time change are right.
X-WR-TIMEZONE is deliberately not written: some clients use it to reinterpret times.

Stable identity: an appointment's UID is ``Appointment.uid``; travel and hotel events use the random UIDs stored on
the family's place at the clinic (``ClinicAttendance.travel_out_uid`` and the like): unique across clinics and
families and carrying no internal ids. :func:`assign_sequences` keeps, per UID, a fingerprint of what was last sent
and its SEQUENCE in ``ExportedEvent``: unchanged events keep their SEQUENCE, changed ones get the next number, new
ones start at 0; the caller's transaction commits it together with the files. Breaks are printed on paper only: they
have no identity of their own (they move whenever an appointment moves), so as calendar events they would be left
behind in the family's calendar by a re-import.

Discreet by default (calendars sync to cloud accounts and show on lock screens and shared family screens): the title
(SUMMARY) is neutral ("Hospital appointment", "Travel", "Hotel check-in"), and so are the reminders' texts; the
LOCATION names the building and the hospital or venue only. The plain-language name ("Eye clinic (ophthalmology)"),
the professionals, the room and the instructions are in the DESCRIPTION. A family who chose detailed titles
(``Patient.detailed_calendar_titles``, carried by the itinerary) gets the plain-language name and the professionals
in the title and the reminders. No calendar name, title, reminder or description names the condition or the child:
the calendar is called "Clinic visit 29–30 Mar 2027", and the service is never named (its names often name the
condition: "Alström clinic"): events say to call "the clinic team" on the service's number.

Every event's description ends with whom to call if the family is running late or cannot come (the clinic team on
the service's phone number, from its details in the database); each appointment still on says what to bring. A cancelled
appointment says it is cancelled and nothing to do (no instructions, no fasting, nothing to bring).

Reminders (VALARM, DISPLAY): before each appointment (the service's ``reminder_minutes_before``), and one at 18:00
the evening before the first appointment still on, carried by it and naming that day ("Tomorrow: Tuesday 30 March,
first appointment at 09:00."), so a day 1 left empty never moves the reminder to the wrong evening. Triggers are
relative to the event start, the form every calendar app supports. Cancelled events carry no alarms. Not checked
against real apps here: Outlook keeps one reminder per event, so the first appointment may show only one of its two;
Google Calendar is reported to apply the user's default reminders to imported events rather than the file's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import arrow
from ics import Calendar, DisplayAlarm, Event
from ics.grammar.parse import ContentLine
from ics.utils import escape_string
from sqlmodel import Session, col, select

from coordinator_tui import __version__
from coordinator_tui.clinic_time import local_to_utc
from coordinator_tui.models import ExportedEvent
from coordinator_tui.services.itineraries.itinerary import (
    CARE_TEAM_MEETING_TEXT,
    ItemKind,
    Itinerary,
    ItineraryItem,
    running_late_text,
)

PRODID = f"-//Coordinator TUI//Family itinerary {__version__}//EN"
EVENING_REMINDER_AT = dt.time(18, 0)
#: How the evening-before reminder's text starts ('Tomorrow: Monday 29 March, first appointment at 09:30.').
EVENING_REMINDER_TEXT = "Tomorrow: "
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
    kind: str = ""  # the ItemKind value of the item it shows (stored in ExportedEvent.kind); not fingerprinted

    def fingerprint(self) -> str:
        """A hash of everything a family would see; DTSTAMP and SEQUENCE are not part of it."""
        data = asdict(self)
        del data["kind"]
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

#: The neutral titles (SUMMARY) a lock screen shows by default: no specialty, professional, condition or child.
NEUTRAL_APPOINTMENT = "Hospital appointment"
NEUTRAL_TITLES = {
    ItemKind.APPOINTMENT: NEUTRAL_APPOINTMENT,
    ItemKind.TRAVEL_OUT: "Travel",
    ItemKind.TRAVEL_HOME: "Travel home",
    ItemKind.HOTEL_CHECK_IN: "Hotel check-in",
    ItemKind.HOTEL_CHECK_OUT: "Hotel check-out",
}
#: A cancelled event's title starts with this (as a withdrawal's does, ``export.withdrawals``).
CANCELLED_PREFIX = "Cancelled: "
#: How long a hotel check-in or check-out shows in the calendar (it is a moment; DTEND must follow DTSTART).
HOTEL_EVENT_LENGTH = dt.timedelta(minutes=30)


def _hm(moment: dt.datetime) -> str:
    return f"{moment:%H:%M}"


def _long_day(moment: dt.datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B}"


def _names(names: Sequence[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _detailed_title(item: ItineraryItem) -> str:
    """The plain-language title a family who chose detailed titles sees ('Eye clinic (ophthalmology) with …')."""
    if item.kind is ItemKind.APPOINTMENT:
        return f"{item.title} with {_names(item.professionals)}" if item.professionals else item.title
    if item.kind in (ItemKind.HOTEL_CHECK_IN, ItemKind.HOTEL_CHECK_OUT):
        return f"{item.title}: {item.place}" if item.place else item.title
    return f"{item.title} ({item.mode})" if item.mode else item.title


def event_title(itinerary: Itinerary, item: ItineraryItem) -> str:
    """The SUMMARY: neutral ('Hospital appointment', 'Travel (train)', 'Hotel check-in') unless the family chose
    detailed titles; 'Cancelled: …' or '… (to be confirmed)' as the item is."""
    if itinerary.detailed_titles:
        title = _detailed_title(item)
    else:
        title = NEUTRAL_TITLES.get(item.kind, NEUTRAL_APPOINTMENT)
        if item.kind in (ItemKind.TRAVEL_OUT, ItemKind.TRAVEL_HOME) and item.mode:
            title = f"{title} ({item.mode})"
    if item.cancelled:
        return f"{CANCELLED_PREFIX}{title}"
    if item.tentative:
        return f"{title} (to be confirmed)"
    return title


def _parts(*texts: str) -> list[str]:
    """Comma-separated parts of ``texts``, each once (case and spacing ignored), in order."""
    seen: set[str] = set()
    parts: list[str] = []
    for text in texts:
        for part in text.split(","):
            part = " ".join(part.split())
            key = part.casefold()
            if part and key not in seen:
                seen.add(key)
                parts.append(part)
    return parts


def event_location(itinerary: Itinerary, item: ItineraryItem) -> str:
    """An appointment's LOCATION: the building and the hospital or venue, each named once ('Outpatients,
    Exampleton Children's Hospital'); the room, which may be a specialty's clinic, is in the description."""
    return ", ".join(_parts(item.building, itinerary.venue))


def _whom_to_call(itinerary: Itinerary) -> list[str]:
    """The last line of every event's description: whom the family calls if running late or unable to come (the
    service's short name for families; none without a phone number)."""
    line = running_late_text(itinerary.calendar_contact)
    return [line] if line else []


def _what_to_bring(itinerary: Itinerary) -> list[str]:
    if not itinerary.what_to_bring:
        return []
    return ["What to bring:", *(f"- {thing}" for thing in itinerary.what_to_bring)]


def _appointment_entry(itinerary: Itinerary, item: ItineraryItem, reminder: dt.timedelta) -> CalendarEntry:
    assert item.start is not None and item.end is not None
    summary = event_title(itinerary, item)
    lines: list[str] = []
    if item.cancelled:
        lines.append("This appointment is cancelled: it will not take place.")
    elif item.tentative:
        lines.append("This appointment is not confirmed yet: we will let you know.")
    lines.append(f"{_hm(item.start)} to {_hm(item.end)} ({item.minutes} minutes)")
    lines.append(item.title)
    if item.care_team_meeting:
        lines.append(CARE_TEAM_MEETING_TEXT)
    if item.professionals:
        lines.append(f"With: {_names(item.professionals)}")
    where = ", ".join(_parts(item.room, item.building, itinerary.venue))
    if where:
        lines.append(f"Where: {where}")
    if item.live:
        if item.fasting:
            lines.append("Fasting: please follow the fasting instructions before this appointment.")
        if item.instructions:
            lines.append(f"Please note: {item.instructions}")
        lines.extend(_what_to_bring(itinerary))
    lines.extend(_whom_to_call(itinerary))
    alarms: tuple[CalendarAlarm, ...] = ()
    if item.live and reminder > dt.timedelta(0):
        if itinerary.detailed_titles:
            room = f" in {item.location}" if item.location else ""
            text = f"Reminder: {summary} at {_hm(item.start)}{room}."
        else:
            text = f"Reminder: {summary} at {_hm(item.start)}."
        alarms = (CalendarAlarm(reminder, text),)
    return CalendarEntry(
        uid=item.uid,
        summary=summary,
        description="\n".join(lines),
        location=event_location(itinerary, item),
        status=_status(item),
        start=item.start,
        end=item.end,
        alarms=alarms,
        kind=item.kind.value,
    )


def _status(item: ItineraryItem) -> str:
    if item.cancelled:
        return "CANCELLED"
    if item.tentative:
        return "TENTATIVE"
    return "CONFIRMED"


def _travel_entry(itinerary: Itinerary, item: ItineraryItem) -> CalendarEntry:
    assert item.start is not None and item.end is not None
    lines = ["This journey is cancelled."] if item.cancelled else []
    lines.append(f"Depart {_hm(item.start)}")
    if item.end > item.start:
        lines[-1] += f", arrive {_hm(item.end)}"
    if item.mode:
        lines.append(f"By: {item.mode}")
    if item.reference:
        lines.append(f"Booking reference: {item.reference}")
    lines.extend(_whom_to_call(itinerary))
    return CalendarEntry(
        uid=item.uid,
        summary=event_title(itinerary, item),
        description="\n".join(lines),
        location="",
        status=_status(item),
        start=item.start,
        end=item.end,
        kind=item.kind.value,
    )


def _hotel_entry(itinerary: Itinerary, item: ItineraryItem) -> CalendarEntry:
    assert item.start is not None
    lines = ["This booking is cancelled."] if item.cancelled else []
    if item.kind is ItemKind.HOTEL_CHECK_IN:
        lines.append(f"Check in from {_hm(item.start)}")
    else:
        lines.append(f"Check out by {_hm(item.start)}")
    if item.place:
        lines.append(item.place)
    if item.address:
        lines.append(item.address)
    if item.phone:
        lines.append(f"Phone: {item.phone}")
    if item.reference:
        lines.append(f"Booking reference: {item.reference}")
    lines.extend(_whom_to_call(itinerary))
    return CalendarEntry(
        uid=item.uid,
        summary=event_title(itinerary, item),
        description="\n".join(lines),
        location=item.address,
        status=_status(item),
        start=item.start,
        end=item.start + HOTEL_EVENT_LENGTH,
        transparent=True,
        kind=item.kind.value,
    )


def evening_reminder(itinerary: Itinerary) -> tuple[ItineraryItem, CalendarAlarm] | None:
    """The reminder at 18:00 the evening before the first appointment still on, carried by that appointment (None
    when no appointment is on, or it starts before that evening). It says which day is tomorrow."""
    first = itinerary.first_appointment
    if first is None or first.start is None:
        return None
    evening = local_to_utc(first.start.date() - dt.timedelta(days=1), EVENING_REMINDER_AT, itinerary.timezone)
    before = first.start.astimezone(dt.UTC) - evening
    if before <= dt.timedelta(0):
        return None
    text = f"{EVENING_REMINDER_TEXT}{_long_day(first.start)}, first appointment at {_hm(first.start)}"
    if itinerary.detailed_titles:
        text += f": {first.title}"
    text += "."
    if itinerary.fasting_appointment is not None:
        text += " Remember the fasting instructions."
    return first, CalendarAlarm(before, text)


def calendar_entries(itinerary: Itinerary, reminder_minutes: int | None = None) -> list[CalendarEntry]:
    """The VEVENTs of an itinerary, in itinerary order (breaks are not calendar events). The reminder before each
    appointment is the service's (``itinerary.reminder_minutes``) unless ``reminder_minutes`` is given."""
    minutes = itinerary.reminder_minutes if reminder_minutes is None else reminder_minutes
    reminder = dt.timedelta(minutes=max(minutes, 0))
    evening = evening_reminder(itinerary)
    entries: list[CalendarEntry] = []
    for item in itinerary.items:
        if item.kind is ItemKind.APPOINTMENT:
            entry = _appointment_entry(itinerary, item, reminder)
            if evening is not None and evening[0] is item:
                entry = replace(entry, alarms=(evening[1], *entry.alarms))
            entries.append(entry)
        elif item.kind in (ItemKind.TRAVEL_OUT, ItemKind.TRAVEL_HOME):
            entries.append(_travel_entry(itinerary, item))
        elif item.kind in (ItemKind.HOTEL_CHECK_IN, ItemKind.HOTEL_CHECK_OUT):
            entries.append(_hotel_entry(itinerary, item))
    return entries


# ------------------------------------------------------------------------------------------------------------
# SEQUENCE bookkeeping
# ------------------------------------------------------------------------------------------------------------


def _remember_sent(row: ExportedEvent, entry: CalendarEntry) -> None:
    """Store on ``row`` what ``entry`` shows (kind, title, location, status, times), for a later cancellation."""
    row.kind = entry.kind
    row.summary = entry.summary[:400]
    row.location = entry.location[:400]
    row.status = entry.status
    row.start = entry.start.astimezone(dt.UTC) if entry.start is not None else None
    row.end = entry.end.astimezone(dt.UTC) if entry.end is not None else None
    row.day = entry.day


def assign_sequences(
    session: Session,
    clinic_id: int,
    entries_by_patient: Mapping[int, Sequence[CalendarEntry]],
    now: dt.datetime,
    withdrawn_by_patient: Mapping[int, Sequence[CalendarEntry]] | None = None,
) -> dict[str, int]:
    """SEQUENCE per UID: kept when the event is unchanged since the last export, raised by one when it changed,
    0 when it is new. Updates ``ExportedEvent`` in ``session`` (the caller's transaction), storing what each current
    event shows (kind, title, location, status, times) so it can be cancelled after its record is gone.

    ``withdrawn_by_patient``: the cancellations of events sent before and no longer current
    (``export.withdrawals``). Their rows keep what was last sent; the first time, the SEQUENCE goes up and
    ``withdrawn_at`` is set; unchanged on later exports. An event current again is no longer withdrawn."""
    withdrawn = withdrawn_by_patient or {}
    uids = [e.uid for group in (entries_by_patient, withdrawn) for entries in group.values() for e in entries]
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
                    first_exported=now,
                )
                known[entry.uid] = row
            elif row.fingerprint != fingerprint:
                row.fingerprint = fingerprint
                row.sequence += 1
                row.last_exported = now
            else:
                row.last_exported = now
            row.withdrawn_at = None
            _remember_sent(row, entry)
            session.add(row)
            sequences[entry.uid] = row.sequence
    for entries in withdrawn.values():
        for entry in entries:
            row = known.get(entry.uid)
            if row is None:  # pragma: no cover - a cancellation is only ever built from a stored row
                continue
            fingerprint = entry.fingerprint()
            if row.fingerprint != fingerprint:
                row.fingerprint = fingerprint
                row.sequence += 1
            if row.withdrawn_at is None:
                row.withdrawn_at = now
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


def properties_before_alarms(lines: Sequence[str]) -> list[str]:
    """Content lines with, in every VEVENT, all the event's properties before its VALARMs (RFC 5545 lists a
    component's properties before its sub-components; ``ics`` 0.7 writes the alarms first, and Outlook rejects
    such events). Other lines are left in place."""
    out: list[str] = []
    event_props: list[str] | None = None
    alarms: list[str] = []
    depth = 0  # inside a VALARM of the current VEVENT
    for line in lines:
        if event_props is None:
            if line == "BEGIN:VEVENT":
                event_props, alarms, depth = [line], [], 0
            else:
                out.append(line)
            continue
        if line == "BEGIN:VALARM":
            depth += 1
        if depth:
            alarms.append(line)
            if line == "END:VALARM":
                depth -= 1
            continue
        if line == "END:VEVENT":
            out.extend(event_props)
            out.extend(alarms)
            out.append(line)
            event_props = None
            continue
        event_props.append(line)
    if event_props is not None:  # pragma: no cover - guards against an ics upgrade changing its output
        raise RuntimeError("unexpected output from the ics package: an unterminated VEVENT")
    return out


def render_ics(
    itinerary: Itinerary,
    entries: Iterable[CalendarEntry],
    sequences: Mapping[str, int],
    stamp: dt.datetime,
) -> bytes:
    """The .ics file: VERSION, PRODID, CALSCALE, METHOD:PUBLISH, X-WR-CALNAME ('Clinic visit 29–30 Mar 2027'),
    then the events in order, each with its properties before its alarms; CRLF line ends, folded at 75 octets,
    UTF-8."""
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
        logical.extend(properties_before_alarms(text.split("\r\n")))
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
