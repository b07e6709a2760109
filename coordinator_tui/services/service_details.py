"""The service's details, kept in the database and shared by everyone who uses it.

What families see (the name, the short name, the phone number they call on the day, the address, what to bring to
the clinic: one item a line, the shipped defaults while blank), the secure-email marker the organisation requires in
the subject of an email carrying patient information (used by the email drafts, ``export.eml``), the default
clinic-day hours for children and adults, the reminder lead time of the calendar files, the walking time between
buildings, the time zone, and the service's own milestone rules (a TOML file read once, checked by
``milestone_rules`` and kept as text). One ``Service`` row per database, created on first use (``get_service``).

Use cases (functions of the ``Database``, each its own unit of work; a save is audited and refused with
``ConcurrentEditError`` when someone saved the details after they were read):

- ``service_details(database) -> ServiceDetails``: what is stored, or the defaults of a new database (nothing is
  written to read them).
- ``save_service_details(database, form, expected_version) -> ServiceChange``: change the fields ``form`` holds
  (text as typed); ``ValidationError`` names each field that is wrong and nothing is written.
- ``load_service_rules(database, path, expected_version)`` / ``clear_service_rules(database, expected_version)``:
  replace the milestone rules with a file's (refused, ``ValidationError`` on ``rules_file``, when the file cannot be
  read or its rules are wrong) or go back to the shipped rules alone. ``store_service_rules(database, text, name,
  expected_version)`` keeps rules already read (what a rules change previewed): the Service screen stores rules
  that way, then regenerates everyone (``services.transition.rules_change``).
- ``take_workstation_settings(database, settings, ...) -> SettingsMove``: the move of an older ``settings.toml``'s
  service-wide values into the database, once (see below).

The settings move: ``settings.toml`` keeps only what is personal to one workstation. While the service's
``settings_moved_on`` is empty, the service-wide values found in a settings file are moved into the service row in
one audited write (the rules file is read and stored as text), and ``settings_moved_on`` is set; from then on such
values are ignored, with a one-line warning. The first save of the details (screen or command line) sets it too, so
that a settings file found later never overwrites what the team entered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from coordinator_tui import clock
from coordinator_tui.clinic_time import format_local_datetime
from coordinator_tui.models import Service
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import create_record, update_record
from coordinator_tui.settings import Settings
from coordinator_tui.validation import (
    FieldError,
    FormErrors,
    ValidationError,
    clean_text,
    form_text,
    parse_positive_int,
    parse_time,
    validate_uk_phone,
)

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.services.transition.milestone_rules import MilestoneRules

DEFAULT_SERVICE_NAME = "National Alström Syndrome Service"
#: The longest lead time of a calendar reminder (four weeks), and the longest walk between two buildings.
MAX_REMINDER_MINUTES = 4 * 7 * 24 * 60
MAX_WALKING_MINUTES = 120
#: The largest milestone rules file kept (a service's own rules are a few kilobytes).
MAX_RULES_BYTES = 256 * 1024

#: Each editable field and how it is named to the user (form labels, messages, the command's output).
FIELD_LABELS: dict[str, str] = {
    "name": "Name",
    "short_name": "Short name (families see)",
    "phone": "Phone on the day",
    "address": "Address",
    "timezone": "Time zone",
    "child_day_start": "Children's day starts",
    "child_day_end": "Children's day ends",
    "adult_day_start": "Adults' day starts",
    "adult_day_end": "Adults' day ends",
    "reminder_minutes_before": "Reminder (minutes before)",
    "minutes_between_buildings": "Minutes between buildings",
    "what_to_bring": "What to bring (one a line)",
    "secure_email_marker": "Secure email marker",
}
#: How ``ServiceChange.changed`` names each field.
CHANGE_LABELS = {**FIELD_LABELS, "milestone_rules": "Milestone rules"}
_TIMES = ("child_day_start", "child_day_end", "adult_day_start", "adult_day_end")
_MINUTES = {"reminder_minutes_before": MAX_REMINDER_MINUTES, "minutes_between_buildings": MAX_WALKING_MINUTES}
#: What to bring: at most this many items, each at most this long (a printed list families can read at a glance).
MAX_BRING_ITEMS = 12
MAX_BRING_ITEM = 120
#: The longest secure-email marker (``Service.secure_email_marker``), e.g. "[secure]" or "OFFICIAL-SENSITIVE".
MAX_MARKER = 40


@dataclass(frozen=True)
class ServiceDetails:
    """The service's details as stored (``version`` 0: no service row yet, the defaults are shown)."""

    version: int
    name: str
    short_name: str
    phone: str
    address: str
    timezone: str
    child_day_start: dt.time
    child_day_end: dt.time
    adult_day_start: dt.time
    adult_day_end: dt.time
    reminder_minutes_before: int
    minutes_between_buildings: int
    what_to_bring: str
    secure_email_marker: str
    milestone_rules: str
    milestone_rules_name: str
    settings_moved_on: dt.datetime | None

    @classmethod
    def of(cls, service: Service | None) -> ServiceDetails:
        record = service if service is not None else Service(name=DEFAULT_SERVICE_NAME, version=0)
        return cls(**{f.name: getattr(record, f.name) for f in fields(cls)})

    @property
    def family_name(self) -> str:
        """The name families see: the short name, else the full name."""
        return self.short_name or self.name

    @property
    def to_fill_in(self) -> list[str]:
        """What a service still has to enter before families can rely on its itineraries."""
        missing = [] if self.settings_moved_on is not None else ["name"]
        return [*missing, *(key for key in ("phone", "address") if not getattr(self, key))]


@dataclass(frozen=True)
class ServiceChange:
    """A save of the details: what they are now, and each field changed as (label, before, after) text."""

    details: ServiceDetails
    changed: list[tuple[str, str, str]]


# ------------------------------------------------------------------------------------------------------------
# The service row
# ------------------------------------------------------------------------------------------------------------


def find_service(session: Session) -> Service | None:
    """The database's service, or None before it was created (reads only)."""
    return session.exec(select(Service).order_by(Service.id)).first()  # type: ignore[arg-type]


def get_service(session: Session) -> Service:
    """The database's service, created with the defaults on first use (audited); the same row every time."""
    service = find_service(session)
    if service is not None:
        return service
    return create_record(session, Service(name=DEFAULT_SERVICE_NAME))


def read_service_details(session: Session) -> ServiceDetails:
    return ServiceDetails.of(find_service(session))


def service_details(database: Database) -> ServiceDetails:
    """The service's details (the defaults on a new database; nothing is written)."""
    return database.read(read_service_details)


# ------------------------------------------------------------------------------------------------------------
# Checking what was typed
# ------------------------------------------------------------------------------------------------------------


def form_values(details: ServiceDetails) -> dict[str, str]:
    """The details as the text the form shows (the inverse of ``parse_service_form``)."""
    return {
        "name": details.name,
        "short_name": details.short_name,
        "phone": details.phone,
        "address": details.address,
        "timezone": details.timezone,
        **{key: f"{getattr(details, key):%H:%M}" for key in _TIMES},
        **{key: str(getattr(details, key)) for key in _MINUTES},
        "what_to_bring": details.what_to_bring,
        "secure_email_marker": details.secure_email_marker,
    }


def bring_items(text: str) -> tuple[str, ...]:
    """What to bring as typed, one item a line (blank lines and "- " bullets dropped): empty when blank."""
    items = (line.strip().removeprefix("- ").removeprefix("* ").strip() for line in text.splitlines())
    return tuple(item for item in items if item)


def default_bring_items() -> tuple[str, ...]:
    """What families are asked to bring while the service has not said (the itineraries' defaults)."""
    from coordinator_tui.services.itineraries.itinerary import DEFAULT_WHAT_TO_BRING

    return DEFAULT_WHAT_TO_BRING


def _what_to_bring(value: str, field: str) -> str:
    """One item a line, kept one a line without bullets or blank lines; "" for the defaults."""
    text = clean_text(value, field, max_length=2000, multiline=True)
    items = bring_items(text)
    if len(items) > MAX_BRING_ITEMS:
        raise FieldError(field, f"has {len(items)} items; at most {MAX_BRING_ITEMS}, one a line")
    for number, item in enumerate(items, start=1):
        if len(item) > MAX_BRING_ITEM:
            raise FieldError(field, f"item {number} is too long ({len(item)} characters; at most {MAX_BRING_ITEM})")
    return "\n".join(items)


def _secure_marker(value: str, field: str) -> str:
    """A marker such as "[secure]": one line of text, no spaces at either end; "" for none."""
    return clean_text(value, field, max_length=MAX_MARKER)


def _time_zone(value: str, field: str) -> str:
    text = value.strip()
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise FieldError(field, "is not a time zone name such as Europe/London") from None
    return text


def parse_service_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The whole form's values, checked; ``ValidationError`` names every field that is wrong."""
    errors = FormErrors()
    values: dict[str, Any] = {
        "name": errors.check("name", clean_text, form_text(form, "name"), "name", max_length=200, required=True),
        "short_name": errors.check(
            "short_name", clean_text, form_text(form, "short_name"), "short_name", max_length=60
        ),
        "phone": errors.check("phone", validate_uk_phone, form_text(form, "phone"), "phone"),
        "address": errors.check(
            "address", clean_text, form_text(form, "address"), "address", max_length=400, multiline=True
        ),
        "timezone": errors.check("timezone", _time_zone, form_text(form, "timezone"), "timezone"),
        "what_to_bring": errors.check(
            "what_to_bring", _what_to_bring, form_text(form, "what_to_bring"), "what_to_bring"
        ),
        "secure_email_marker": errors.check(
            "secure_email_marker", _secure_marker, form_text(form, "secure_email_marker"), "secure_email_marker"
        ),
    }
    for key in _TIMES:
        values[key] = errors.check(key, parse_time, form_text(form, key), key)
    for key, most in _MINUTES.items():
        values[key] = errors.check(key, parse_positive_int, form_text(form, key), key, maximum=most)
    for who in ("child", "adult"):
        start, end = values[f"{who}_day_start"], values[f"{who}_day_end"]
        if start is not None and end is not None and start >= end:
            errors.add(f"{who}_day_end", f"must be after the day starts ({start:%H:%M})")
    errors.raise_if_any()
    return values


def parse_hours(text: str, field: str) -> tuple[str, str]:
    """'09:00-16:00' (the command line's --child-hours) as its start and end text."""
    start, dash, end = text.replace("–", "-").partition("-")
    if not dash or not start.strip() or not end.strip():
        raise FieldError(field, f"type the hours as HH:MM-HH:MM, such as 09:00-16:00 (got {text[:20]!r})")
    return start.strip(), end.strip()


def details_rows(details: ServiceDetails) -> list[tuple[str, str]]:
    """The details as (label, text) rows, as the Service screen and ``service show`` print them."""
    rules = (
        f"{details.milestone_rules_name or 'own rules'} ({len(details.milestone_rules.splitlines())} lines), "
        "layered on the shipped rules"
        if details.milestone_rules
        else "the shipped rules only (data/milestones.toml)"
    )
    moved = (
        format_local_datetime(details.settings_moved_on, details.timezone)
        if details.settings_moved_on is not None
        else "not yet: fill in the name, phone and address"
    )
    return [
        ("Name", details.name),
        ("Short name (families see)", details.short_name or "(none: families see the name)"),
        ("Phone on the day", details.phone or "(none: itineraries cannot say whom to call)"),
        ("Address", ", ".join(details.address.splitlines()) or "(none)"),
        ("Time zone", details.timezone),
        ("Children's clinic day", f"{details.child_day_start:%H:%M}–{details.child_day_end:%H:%M}"),
        ("Adults' clinic day", f"{details.adult_day_start:%H:%M}–{details.adult_day_end:%H:%M}"),
        ("Calendar reminder", f"{details.reminder_minutes_before} minutes before each appointment"),
        ("Walk between buildings", f"{details.minutes_between_buildings} minutes"),
        ("What to bring", bring_text(details.what_to_bring)),
        (
            "Secure email marker",
            details.secure_email_marker or "(none: email drafts' subjects carry no marker)",
        ),
        ("Milestone rules", rules),
        ("Details confirmed", moved),
    ]


# ------------------------------------------------------------------------------------------------------------
# Saving
# ------------------------------------------------------------------------------------------------------------


def bring_text(text: str) -> str:
    """What to bring on one line: the items, or the defaults said to be the defaults."""
    items = bring_items(text)
    if items:
        return "; ".join(items)
    return f"(the defaults) {'; '.join(default_bring_items())}"


def _shown(key: str, value: Any) -> str:
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if key == "what_to_bring":
        return bring_text(value)
    if key == "secure_email_marker":
        return value or "(none)"
    if key == "milestone_rules":
        return f"{len(value.splitlines())} lines" if value else "none (the shipped rules alone)"
    return str(value)


def _write(session: Session, changes: Mapping[str, Any], expected_version: int) -> ServiceChange:
    """Write ``changes`` to the service row (created if there is none yet), audited; refused when the row is not at
    ``expected_version`` (0: there was no row when the details were read)."""
    service = find_service(session)
    if service is None:
        if expected_version != 0:
            raise ConcurrentEditError("service's details", None, None)
        service = create_record(session, Service(name=DEFAULT_SERVICE_NAME))
        expected_version = service.version
    elif expected_version == 0:
        last = audit.last_change(session, audit.entity_name(Service), service.id)
        raise ConcurrentEditError("service's details", last.user if last else None, None)
    before = ServiceDetails.of(service)
    moved = {} if service.settings_moved_on is not None else {"settings_moved_on": clock.now()}
    real = {key: value for key, value in changes.items() if getattr(service, key) != value}
    saved = update_record(session, Service, service.id, {**real, **moved}, expected_version=expected_version)
    changed = [
        (CHANGE_LABELS.get(key, key.replace("_", " ")), _shown(key, getattr(before, key)), _shown(key, value))
        for key, value in real.items()
        if key != "milestone_rules_name"
    ]
    return ServiceChange(ServiceDetails.of(saved), changed)


def checked_changes(current: ServiceDetails, form: Mapping[str, Any]) -> dict[str, Any]:
    """The fields ``form`` holds (the whole form, or some of them from the command line), checked together with
    the stored ones (a new end is checked against the stored start); ``ValidationError`` when any is wrong."""
    values = parse_service_form({**form_values(current), **form})
    return {key: values[key] for key in form if key in values}


def save_changes(database: Database, changes: Mapping[str, Any], expected_version: int) -> ServiceChange:
    """Write checked changes (``checked_changes``, ``read_rules_file``) in one audited write."""
    return database.write(_write, changes, expected_version)


def save_service_details(database: Database, form: Mapping[str, Any], expected_version: int) -> ServiceChange:
    """Check and save the fields ``form`` holds."""
    return save_changes(database, checked_changes(service_details(database), form), expected_version)


def save_service_form(database: Database, form: Mapping[str, Any], expected_version: int) -> ServiceDetails:
    """The details form's save (the screen's form): the details as saved."""
    return save_service_details(database, form, expected_version).details


# ------------------------------------------------------------------------------------------------------------
# The service's milestone rules
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesFile:
    text: str
    name: str


def read_rules_file(path_text: str, field: str = "rules_file") -> RulesFile:
    """A milestone rules file's text, checked by the rules loader (layered on the shipped rules, as it will be
    used); ``FieldError`` on ``field`` when it cannot be read or its rules are wrong."""
    from coordinator_tui.services.transition.milestone_rules import RulesError, load_rules

    typed = clean_text(path_text, field, max_length=4096, required=True)
    path = Path(typed).expanduser()
    try:
        if path.stat().st_size > MAX_RULES_BYTES:
            raise FieldError(field, f"{path.name} is larger than {MAX_RULES_BYTES // 1024} KB; is it a rules file?")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FieldError(field, f"there is no file at {typed}") from None
    except IsADirectoryError:
        raise FieldError(field, f"{typed} is a folder, not a rules file") from None
    except UnicodeDecodeError:
        raise FieldError(field, f"{path.name} is not UTF-8 text") from None
    except OSError as exc:
        raise FieldError(field, f"{typed} cannot be read: {exc.strerror}") from None
    try:
        load_rules(text, path.name)
    except RulesError as exc:
        raise FieldError(field, str(exc)) from None
    return RulesFile(text, path.name[:260])


def load_service_rules(database: Database, path_text: str, expected_version: int) -> ServiceChange:
    """Replace the service's milestone rules with the file at ``path_text`` (read and checked first)."""
    rules = read_rules_file(path_text)
    changes = {"milestone_rules": rules.text, "milestone_rules_name": rules.name}
    return database.write(_write, changes, expected_version)


def clear_service_rules(database: Database, expected_version: int) -> ServiceChange:
    """Go back to the shipped milestone rules alone."""
    return database.write(_write, {"milestone_rules": "", "milestone_rules_name": ""}, expected_version)


def store_service_rules(database: Database, text: str, name: str, expected_version: int) -> ServiceChange:
    """Keep rules already read and checked (``text`` "" : the shipped rules alone), as a rules change's preview
    read them: the file is not read again, so what is stored is what was previewed."""
    changes = {"milestone_rules": text, "milestone_rules_name": name if text else ""}
    return database.write(_write, changes, expected_version)


def rules_of(details: ServiceDetails) -> MilestoneRules:
    """The milestone rules in force: the shipped ones with the service's own layered on top. ``RulesError`` when
    the stored rules no longer load (a newer rule format, say)."""
    from coordinator_tui.services.transition.milestone_rules import load_rules

    return load_rules(details.milestone_rules, details.milestone_rules_name)


def service_rules(database: Database) -> MilestoneRules:
    return rules_of(service_details(database))


# ------------------------------------------------------------------------------------------------------------
# The settings move
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsMove:
    """What became of a settings file's service-wide values on opening a database: ``message`` (one line, empty
    when there were none) and whether it is a warning; ``details`` as they are now."""

    details: ServiceDetails
    message: str = ""
    warning: bool = False


_SETTING_FIELDS = {
    "service_name": "name",
    "timezone": "timezone",
    "reminder_minutes_before": "reminder_minutes_before",
    "child_day_end": "child_day_end",
    "adult_day_end": "adult_day_end",
    "minutes_between_buildings": "minutes_between_buildings",
}


def _moved_values(current: ServiceDetails, found: Mapping[str, str | int]) -> dict[str, Any]:
    """The settings' values as changes to the service row, checked as the form checks them (a rules file read)."""
    form = {field: str(found[key]) for key, field in _SETTING_FIELDS.items() if key in found}
    values = parse_service_form({**form_values(current), **form})
    changes = {field: values[field] for field in form}
    if found.get("rules_file"):
        rules = read_rules_file(str(found["rules_file"]), "rules_file")
        changes.update(milestone_rules=rules.text, milestone_rules_name=rules.name)
    return changes


def _move(session: Session, found: Mapping[str, str | int]) -> ServiceChange | None:
    """The move itself, in the caller's one write: None when the values were moved (or details saved) meanwhile."""
    service = find_service(session)
    current = ServiceDetails.of(service)
    if current.settings_moved_on is not None:
        return None
    return _write(session, _moved_values(current, found), current.version)


def take_workstation_settings(
    database: Database, settings: Settings, *, source: str = "settings.toml", writable: bool = True
) -> SettingsMove:
    """Move ``settings``' service-wide values into the database once (``source`` names the file in messages).

    No values: nothing happens. Not moved yet and ``writable``: moved in one audited write (refused whole, with a
    warning and nothing written, when a value is wrong for the details or the rules file cannot be used; tried
    again at the next open). Already moved: ignored, with a warning."""
    found = {key: value for key, value in settings.service_values.items() if value != ""}
    keys = ", ".join(found)
    current = service_details(database)
    if not found:
        return SettingsMove(current)
    if current.settings_moved_on is None and writable:
        try:
            change = database.write(_move, found)
        except (ValidationError, FieldError) as exc:
            return SettingsMove(current, f"{keys} in {source} not moved into the database: {_reason(exc)}", True)
        except ConcurrentEditError:
            change = None
        if change is not None:
            return SettingsMove(
                change.details,
                f"moved {keys} from {source} into the database's service details (shared by everyone using it); "
                f"remove them from {source}",
            )
        current = service_details(database)
    if current.settings_moved_on is None:
        return SettingsMove(current, f"{keys} in {source} not used: they move into the database when it opens to save")
    return SettingsMove(
        current,
        f"{keys} in {source} ignored: the service's details are kept in the database (Service screen, key 5)",
        True,
    )


def _reason(exc: ValidationError | FieldError) -> str:
    if isinstance(exc, FieldError):
        return f"{exc.field}: {exc.message}"
    return "; ".join(f"{key}: {message}" for key, message in exc.errors.items())
