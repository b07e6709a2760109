"""Independent checks of .ics bytes: RFC 5545 framing by hand, then the ``icalendar`` package, strictly."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
from icalendar.parser.content_line import Contentline

ALLOWED = {
    "VCALENDAR": {"VERSION", "PRODID", "CALSCALE", "METHOD", "X-WR-CALNAME"},
    "VEVENT": {
        "UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "LOCATION", "STATUS", "TRANSP", "SEQUENCE",
    },
    "VALARM": {"ACTION", "TRIGGER", "DESCRIPTION"},
}  # fmt: skip


def check_framing(data: bytes) -> list[str]:
    """CRLF everywhere, physical lines of at most 75 octets, valid UTF-8; returns the unfolded content lines."""
    data.decode("utf-8")  # strict: raises on invalid UTF-8
    assert data.endswith(b"\r\n")
    physical = data.split(b"\r\n")[:-1]
    for line in physical:
        assert b"\n" not in line and b"\r" not in line, line
        assert len(line) <= 75, (len(line), line)
        line.decode("utf-8")  # folding never splits a UTF-8 character
    unfolded = re.sub(rb"\r\n[ \t]", b"", data).decode("utf-8")
    return unfolded.split("\r\n")[:-1]


def check_structure(lines: list[str]) -> None:
    """Every property is parsed strictly and is one we mean to write, in the component we mean: no text injected
    a property, a parameter or a component. In every component, all its properties come before its
    sub-components (RFC 5545; Outlook rejects a VEVENT whose VALARMs come first)."""
    stack: list[str] = []
    seen: list[set[str]] = []
    had_component: list[bool] = []  # per open component: a sub-component has ended inside it
    for line in lines:
        name, params, _value = Contentline(line, strict=True).raw_parts()
        if name == "BEGIN":
            stack.append(_value)
            seen.append(set())
            had_component.append(False)
            continue
        if name == "END":
            assert stack and stack[-1] == _value
            stack.pop()
            seen.pop()
            had_component.pop()
            if had_component:
                had_component[-1] = True
            continue
        assert stack, line
        assert not had_component[-1], f"{name} after a sub-component of {stack[-1]}"
        assert name in ALLOWED[stack[-1]], f"unexpected property {name} in {stack[-1]}"
        assert name not in seen[-1], f"{name} repeated in {stack[-1]}"
        seen[-1].add(name)
        allowed_params = {"VALUE"} if name in {"DTSTART", "DTEND", "TRIGGER"} else set()
        assert set(params) <= allowed_params, line
    assert not stack


def parse_strict(data: bytes) -> icalendar.Calendar:
    check_structure(check_framing(data))
    calendar = icalendar.Calendar.from_ical(data)
    calendar.validate()
    for component in calendar.walk():
        assert not component.errors, component.errors
    assert calendar["VERSION"] == "2.0"
    assert calendar["METHOD"] == "PUBLISH"
    assert "Coordinator TUI" in str(calendar["PRODID"])
    for event in calendar.walk("VEVENT"):
        assert event.get("UID")
        assert isinstance(event.decoded("DTSTAMP"), dt.datetime)
        assert "SEQUENCE" in event
    return calendar


def properties_before_alarms(data: bytes) -> int:
    """Checks, in every VEVENT, that no property follows its first VALARM; returns how many VALARMs were seen."""
    alarms = 0
    in_event = in_alarm = alarm_seen = False
    for line in check_framing(data):
        if line == "BEGIN:VEVENT":
            in_event, alarm_seen = True, False
        elif line == "END:VEVENT":
            in_event = False
        elif line == "BEGIN:VALARM":
            in_alarm = alarm_seen = True
            alarms += 1
        elif line == "END:VALARM":
            in_alarm = False
        elif in_event and not in_alarm:
            assert not alarm_seen, f"VEVENT property {line.split(':')[0]} after a VALARM"
    return alarms


def events_by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == len(calendar.walk("VEVENT")), "duplicate UID"
    return events


def unescaped_value(data: bytes, name: str) -> str:
    """The first top-level value of property ``name``, unescaped as TEXT (for X- properties icalendar leaves raw)."""
    for line in check_framing(data):
        if line.startswith(f"{name}:") or line.startswith(f"{name};"):
            return str(Contentline(line, strict=True).parts()[2])
    raise AssertionError(f"no {name} property")
