"""Milestone rules: read and check the TOML files that say which transition steps fall due when.

The shipped rules are ``data/milestones.toml`` (facts and their public sources are cited there, not here). A
service may keep its own rules file (``Settings.rules_file``); it is **layered on top of the shipped file by
milestone id**:

- an entry whose ``id`` is already shipped changes only the keys it gives (e.g. ``enabled = false`` switches the
  rule off; ``lead_time = { months = 3 }`` changes just its lead time);
- an entry with a new ``id`` adds a rule, and must give every required key;
- top-level keys (``nation``, ``assumed_transfer_age``, ``checklist_age_limit``) override the shipped ones;
- ``replace_shipped = true`` at the top of the service file makes it stand alone (the shipped rules are ignored).

File format (every key is checked; an unknown key is an error)::

    nation = "england"                            # which school calendar (services.school_year)
    assumed_transfer_age = { years = 18 }         # transfer-relative dates when no transfer date is planned
    checklist_age_limit = { years = 19 }          # registered at/after this age: no checklist (joined as adult)

    [[milestone]]
    id = "rsg_ready"                              # lower-case letters, digits, _ ; stable: items are keyed by it
    title = "..."
    category = "health"                           # one of CATEGORIES
    owner_role = "specialist nurse"               # one of OWNER_ROLES
    stage = "Ready"                               # free text: groups the patient's checklist
    due = { kind = "age", years = 11, months = 0 }
    #     { kind = "school_term", school_year = 9, term = "autumn" }     (term: autumn / spring / summer)
    #     { kind = "school_date", school_year = 6, month = 2, day = 15 }
    #     { kind = "after_milestone", milestone = "pip_invitation", days = 28 }   (years/months/days, may be < 0)
    #     { kind = "transfer", months = -3 }      (offset from the transfer date)
    lead_time = { months = 2 }                    # how long before the due date it appears (default 1 month)
    repeat = { every_months = 12, until = "transfer" }   # or until_age_years = 19; optional
    condition = "has_ehcp"                        # optional: one of CONDITIONS
    late_entry = "at_registration"                # due before registration: "skip" (default) or due at once
    late_entry_within = { months = 24 }           # optional: only if registered within this of the due date
    enabled = true
    source = "NICE NG43 ..."

A rule may be relative to another (``after_milestone``) but not to a repeating one, and never in a cycle. A rule
switched off still dates the rules relative to it; it just puts no item on checklists.

``load_rules(settings)`` returns the checked ``MilestoneRules``; any problem raises ``RulesError`` whose message
names each file, line (where it can be found) and reason.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from coordinator_tui.config import Settings, shipped_data_file
from coordinator_tui.services import school_year

SHIPPED_RULES_FILE = "milestones.toml"

CATEGORIES: tuple[str, ...] = (
    "health",
    "education",
    "benefits",
    "independent living",
    "employment",
    "social care",
    "communication",
)
OWNER_ROLES: tuple[str, ...] = (
    "specialist nurse",
    "transition coordinator",
    "family support worker",
    "young person",
)

# What a rule's ``condition`` may name: a test on the patient record.
CONDITIONS: dict[str, Callable[[Any], bool]] = {
    "has_ehcp": lambda patient: bool(patient.has_ehcp),
    "no_ehcp": lambda patient: not patient.has_ehcp,
}

MAX_ID_LENGTH = 80
MAX_TITLE_LENGTH = 200
MAX_STAGE_LENGTH = 40


class DueKind(StrEnum):
    AGE = "age"
    SCHOOL_TERM = "school_term"
    SCHOOL_DATE = "school_date"
    AFTER_MILESTONE = "after_milestone"
    TRANSFER = "transfer"


class LateEntry(StrEnum):
    SKIP = "skip"
    AT_REGISTRATION = "at_registration"


@dataclass(frozen=True)
class Period:
    """A calendar period (years, months, days), applied with ``dateutil.relativedelta``."""

    years: int = 0
    months: int = 0
    days: int = 0

    @property
    def delta(self) -> relativedelta:
        return relativedelta(years=self.years, months=self.months, days=self.days)

    def is_zero(self) -> bool:
        return not (self.years or self.months or self.days)

    def is_negative(self) -> bool:
        return self.years < 0 or self.months < 0 or self.days < 0

    def __str__(self) -> str:
        parts = []
        for amount, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day")):
            if amount:
                parts.append(f"{abs(amount)} {unit}{'s' if abs(amount) != 1 else ''}")
        return " ".join(parts) or "0 days"


@dataclass(frozen=True)
class Due:
    """When a milestone falls due: exactly one kind, with the fields that kind uses."""

    kind: DueKind
    age: Period | None = None
    school_year: int | None = None
    term: str | None = None
    month: int | None = None
    day: int | None = None
    milestone: str | None = None
    offset: Period = Period()

    def describe(self) -> str:
        if self.kind is DueKind.AGE:
            return f"at age {self.age}"
        if self.kind is DueKind.SCHOOL_TERM:
            return f"start of {self.term} term, {_school_year_name(self.school_year)}"
        if self.kind is DueKind.SCHOOL_DATE:
            assert self.month is not None and self.day is not None
            name = dt.date(2001, self.month, self.day).strftime("%B")
            return f"{self.day} {name} of {_school_year_name(self.school_year)}"
        target = f"milestone {self.milestone!r}" if self.kind is DueKind.AFTER_MILESTONE else "transfer"
        if self.offset.is_zero():
            return f"with {target}"
        return f"{self.offset} {'before' if self.offset.is_negative() else 'after'} {target}"


def _school_year_name(year: int | None) -> str:
    if year == 0:
        return "Reception"
    if year is not None and year < 0:
        return f"{-year} year(s) before Reception"
    return f"Year {year}"


@dataclass(frozen=True)
class Repeat:
    """Repeat every ``every_months`` after the first due date, up to the transfer date or an age."""

    every_months: int
    until_transfer: bool = False
    until_age_years: int | None = None


@dataclass(frozen=True)
class MilestoneRule:
    id: str
    title: str
    category: str
    owner_role: str
    stage: str
    due: Due
    source: str
    lead_time: Period = Period(months=1)
    repeat: Repeat | None = None
    condition: str | None = None
    late_entry: LateEntry = LateEntry.SKIP
    late_entry_within: Period | None = None
    enabled: bool = True
    origin: str = ""  # "file, line N" of the entry that last changed it

    def applies_to(self, patient: Any) -> bool:
        return self.condition is None or CONDITIONS[self.condition](patient)


@dataclass(frozen=True)
class MilestoneRules:
    """A checked set of rules, in dependency order (a rule comes after any rule it is relative to)."""

    rules: tuple[MilestoneRule, ...]
    nation: str = school_year.DEFAULT_NATION
    assumed_transfer_age: Period | None = None
    checklist_age_limit: Period | None = None
    files: tuple[Path, ...] = ()
    _by_id: dict[str, MilestoneRule] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({rule.id: rule for rule in self.rules})

    def get(self, rule_id: str) -> MilestoneRule | None:
        return self._by_id.get(rule_id)

    def __getitem__(self, rule_id: str) -> MilestoneRule:
        return self._by_id[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._by_id

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def enabled(self) -> tuple[MilestoneRule, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)


# ------------------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleProblem:
    path: Path | None
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.path.name if self.path else "rules"
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self.reason}"


class RulesError(ValueError):
    """The rules file(s) cannot be used; ``problems`` lists every problem found, each with file, line, reason."""

    def __init__(self, problems: Iterable[RuleProblem]) -> None:
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"milestone rules refused: {shown}{more}")

    @property
    def first(self) -> RuleProblem:
        return self.problems[0]


# ------------------------------------------------------------------------------------------------------------
# Reading one file
# ------------------------------------------------------------------------------------------------------------

_TOP_LEVEL_KEYS = {"schema_version", "nation", "assumed_transfer_age", "checklist_age_limit", "replace_shipped"}
_RULE_KEYS = {
    "id",
    "title",
    "category",
    "owner_role",
    "stage",
    "due",
    "lead_time",
    "repeat",
    "condition",
    "late_entry",
    "late_entry_within",
    "enabled",
    "source",
}
_REQUIRED_RULE_KEYS = ("id", "title", "category", "owner_role", "stage", "due", "source")
_DUE_KEYS: dict[DueKind, set[str]] = {
    DueKind.AGE: {"years", "months"},
    DueKind.SCHOOL_TERM: {"school_year", "term"},
    DueKind.SCHOOL_DATE: {"school_year", "month", "day"},
    DueKind.AFTER_MILESTONE: {"milestone", "years", "months", "days"},
    DueKind.TRANSFER: {"years", "months", "days"},
}
_DUE_REQUIRED: dict[DueKind, tuple[str, ...]] = {
    DueKind.AGE: ("years",),
    DueKind.SCHOOL_TERM: ("school_year", "term"),
    DueKind.SCHOOL_DATE: ("school_year", "month", "day"),
    DueKind.AFTER_MILESTONE: ("milestone",),
    DueKind.TRANSFER: (),
}
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_HEADER = re.compile(r"^\s*\[\[\s*milestone\s*\]\]\s*(#.*)?$")
_DECODE_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


class _Invalid(Exception):
    """One problem with one key; ``key_path`` locates it in the entry (e.g. ("due", "kind"))."""

    def __init__(self, reason: str, *key_path: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key_path = key_path


class _Locator:
    """Finds the line of an entry or key in the raw text (tomllib gives no positions after parsing)."""

    def __init__(self, text: str, entries: int) -> None:
        self.lines = text.splitlines()
        headers = [i for i, line in enumerate(self.lines) if _HEADER.match(line)]
        # Positions are only trusted when every [[milestone]] entry was written as a header.
        self.headers = headers if len(headers) == entries else []

    def _find(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(rf"^\s*(\"{re.escape(key)}\"|{re.escape(key)})\s*[.=]")
        table = re.compile(rf"^\s*\[\s*milestone\.{re.escape(key)}\s*\]")
        for i in range(start, end):
            if pattern.match(self.lines[i]) or table.match(self.lines[i]):
                return i + 1
        return None

    def top_level(self, key: str) -> int | None:
        end = self.headers[0] if self.headers else len(self.lines)
        return self._find(key, 0, end)

    def entry(self, index: int, *key_path: str) -> int | None:
        if not self.headers:
            return None
        start = self.headers[index]
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines)
        for key in key_path[:1]:
            found = self._find(key, start + 1, end)
            if found is not None:
                return found
        return start + 1


@dataclass
class _Entry:
    """One [[milestone]] entry after per-key checks: the keys it gave, where each came from."""

    path: Path
    line: int | None
    values: dict[str, Any]
    key_lines: dict[str, int | None]
    key_files: dict[str, Path] = field(default_factory=dict)


@dataclass
class _ParsedFile:
    path: Path
    top: dict[str, Any]
    entries: list[_Entry]


def _int(value: Any, *key_path: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"'{'.'.join(key_path)}' must be a whole number, not {value!r}", *key_path)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _Invalid(f"'{'.'.join(key_path)}' must be between {minimum} and {maximum} (got {value})", *key_path)
    return value


def _text(value: Any, *key_path: str, max_length: int | None = None) -> str:
    name = ".".join(key_path)
    if not isinstance(value, str):
        raise _Invalid(f"'{name}' must be text in quotes, not {value!r}", *key_path)
    text = value.strip()
    if not text:
        raise _Invalid(f"'{name}' must not be empty", *key_path)
    if max_length is not None and len(text) > max_length:
        raise _Invalid(f"'{name}' is too long ({len(text)} characters; at most {max_length})", *key_path)
    return text


def _choice(value: Any, choices: Iterable[str], *key_path: str) -> str:
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        raise _Invalid(
            f"unknown {key_path[-1].replace('_', ' ')} {value!r} (expected one of: {', '.join(options)})", *key_path
        )
    return value


def _table(value: Any, allowed: set[str], *key_path: str) -> dict[str, Any]:
    name = ".".join(key_path)
    if not isinstance(value, dict):
        raise _Invalid(f"'{name}' must be a table such as {{ months = 1 }}, not {value!r}", *key_path)
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _Invalid(
            f"unknown key '{unknown[0]}' in '{name}' (allowed: {', '.join(sorted(allowed))})", *key_path, unknown[0]
        )
    return value


def _period(value: Any, *key_path: str, allow_negative: bool = False) -> Period:
    table = _table(value, {"years", "months", "days"}, *key_path)
    if not table:
        raise _Invalid(f"'{'.'.join(key_path)}' needs years, months or days", *key_path)
    low = None if allow_negative else 0
    period = Period(**{k: _int(v, *key_path, k, minimum=low, maximum=None) for k, v in table.items()})
    return period


def _due(value: Any) -> Due:
    if not isinstance(value, dict):
        raise _Invalid(f"'due' must be a table such as {{ kind = \"age\", years = 16 }}, not {value!r}", "due")
    if "kind" not in value:
        raise _Invalid(
            f"'due' needs a kind (one of: {', '.join(k.value for k in DueKind)})",
            "due",
        )
    kind = DueKind(_choice(value["kind"], [k.value for k in DueKind], "due", "kind"))
    table = _table({k: v for k, v in value.items() if k != "kind"}, _DUE_KEYS[kind], "due")
    missing = [k for k in _DUE_REQUIRED[kind] if k not in table]
    if missing:
        raise _Invalid(f"'due' of kind '{kind}' needs {', '.join(missing)}", "due")
    if kind is DueKind.AGE:
        years = _int(table["years"], "due", "years", minimum=0, maximum=30)
        months = _int(table.get("months", 0), "due", "months", minimum=0, maximum=11)
        return Due(kind, age=Period(years=years, months=months))
    if kind in (DueKind.SCHOOL_TERM, DueKind.SCHOOL_DATE):
        year = _int(table["school_year"], "due", "school_year", minimum=-2, maximum=15)
        if kind is DueKind.SCHOOL_TERM:
            term = _choice(table["term"], school_year.TERMS, "due", "term")
            return Due(kind, school_year=year, term=term)
        month = _int(table["month"], "due", "month", minimum=1, maximum=12)
        day = _int(table["day"], "due", "day", minimum=1, maximum=31)
        try:
            dt.date(2001, month, day)  # a common year: refuses 31 April and 29 February alike
        except ValueError:
            raise _Invalid(f"'due' day {day} of month {month} is not a date in every year", "due") from None
        return Due(kind, school_year=year, month=month, day=day)
    offset_keys = {k: table[k] for k in ("years", "months", "days") if k in table}
    offset = _period(offset_keys, "due", allow_negative=True) if offset_keys else Period()
    if kind is DueKind.AFTER_MILESTONE:
        target = _text(table["milestone"], "due", "milestone", max_length=MAX_ID_LENGTH)
        return Due(kind, milestone=target, offset=offset)
    return Due(kind, offset=offset)


def _repeat(value: Any) -> Repeat:
    table = _table(value, {"every_months", "until", "until_age_years"}, "repeat")
    if "every_months" not in table:
        raise _Invalid("'repeat' needs every_months (e.g. { every_months = 12, until = \"transfer\" })", "repeat")
    every = _int(table["every_months"], "repeat", "every_months", minimum=1, maximum=60)
    if "until" in table and "until_age_years" in table:
        raise _Invalid("'repeat' takes until or until_age_years, not both", "repeat")
    until_transfer = False
    if "until" in table:
        _choice(table["until"], ["transfer"], "repeat", "until")
        until_transfer = True
    until_age = (
        _int(table["until_age_years"], "repeat", "until_age_years", minimum=1, maximum=30)
        if ("until_age_years" in table)
        else None
    )
    if not until_transfer and until_age is None:
        raise _Invalid("'repeat' needs a bound: until = \"transfer\" or until_age_years = N", "repeat")
    return Repeat(every_months=every, until_transfer=until_transfer, until_age_years=until_age)


_RULE_CHECKS: dict[str, Callable[[Any], Any]] = {
    "id": lambda v: _rule_id(v),
    "title": lambda v: _text(v, "title", max_length=MAX_TITLE_LENGTH),
    "category": lambda v: _choice(v, CATEGORIES, "category"),
    "owner_role": lambda v: _choice(v, OWNER_ROLES, "owner_role"),
    "stage": lambda v: _text(v, "stage", max_length=MAX_STAGE_LENGTH),
    "due": _due,
    "lead_time": lambda v: _period(v, "lead_time"),
    "repeat": _repeat,
    "condition": lambda v: _choice(v, CONDITIONS, "condition"),
    "late_entry": lambda v: LateEntry(_choice(v, [e.value for e in LateEntry], "late_entry")),
    "late_entry_within": lambda v: _period(v, "late_entry_within"),
    "enabled": lambda v: _bool(v, "enabled"),
    "source": lambda v: _text(v, "source"),
}


def _rule_id(value: Any) -> str:
    text = _text(value, "id", max_length=MAX_ID_LENGTH)
    if not _ID_PATTERN.match(text):
        raise _Invalid(f"id {text!r} must be lower-case letters, digits and _ (starting with a letter)", "id")
    return text


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"'{key}' must be true or false, not {value!r}", key)
    return value


def _read_file(path: Path, problems: list[RuleProblem]) -> _ParsedFile | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(RuleProblem(path, None, f"rules file not found: {path}"))
        return None
    except UnicodeDecodeError:
        problems.append(RuleProblem(path, None, "rules file is not UTF-8 text"))
        return None
    except OSError as exc:
        problems.append(RuleProblem(path, None, f"rules file cannot be read: {exc.strerror}"))
        return None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _DECODE_LINE.search(message)
        line = int(match.group(1)) if match else None
        reason = _DECODE_LINE.sub("", message) if match else message
        problems.append(RuleProblem(path, line, f"not valid TOML: {reason}"))
        return None
    raw_entries = raw.get("milestone", [])
    if not isinstance(raw_entries, list) or not all(isinstance(e, dict) for e in raw_entries):
        problems.append(RuleProblem(path, None, "'milestone' must be a list of [[milestone]] entries"))
        return None
    locator = _Locator(text, len(raw_entries))

    top: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "milestone":
            continue
        line = locator.top_level(key)
        try:
            top[key] = _top_level_value(key, value)
        except _Invalid as exc:
            problems.append(RuleProblem(path, line, exc.reason))

    entries: list[_Entry] = []
    for index, raw_entry in enumerate(raw_entries):
        entry = _Entry(path, locator.entry(index), {}, {})
        for key, value in raw_entry.items():
            line = locator.entry(index, key)
            if key not in _RULE_KEYS:
                problems.append(
                    RuleProblem(
                        path, line, f"unknown key '{key}' in a milestone (allowed: {', '.join(sorted(_RULE_KEYS))})"
                    )
                )
                continue
            try:
                entry.values[key] = _RULE_CHECKS[key](value)
                entry.key_lines[key] = line
            except _Invalid as exc:
                problems.append(
                    RuleProblem(path, locator.entry(index, *exc.key_path) or line, _with_id(raw_entry, exc))
                )
        if "id" not in raw_entry:
            problems.append(RuleProblem(path, entry.line, "a milestone has no id"))
        entries.append(entry)
    return _ParsedFile(path, top, entries)


def _with_id(raw_entry: Mapping[str, Any], exc: _Invalid) -> str:
    rule_id = raw_entry.get("id")
    return f"milestone {rule_id!r}: {exc.reason}" if isinstance(rule_id, str) else exc.reason


def _top_level_value(key: str, value: Any) -> Any:
    if key not in _TOP_LEVEL_KEYS:
        raise _Invalid(f"unknown top-level key '{key}' (allowed: {', '.join(sorted(_TOP_LEVEL_KEYS | {'milestone'}))})")
    if key == "schema_version":
        return _int(value, key, minimum=1, maximum=1)
    if key == "nation":
        return _choice(value, school_year.known_nations(), key)
    if key == "replace_shipped":
        return _bool(value, key)
    return _period(value, key)


# ------------------------------------------------------------------------------------------------------------
# Merging and whole-set checks
# ------------------------------------------------------------------------------------------------------------


def _where(path: Path, line: int | None) -> str:
    return f"{path.name}, line {line}" if line is not None else path.name


def _merge(files: list[_ParsedFile], problems: list[RuleProblem]) -> tuple[dict[str, Any], dict[str, _Entry]]:
    top: dict[str, Any] = {}
    merged: dict[str, _Entry] = {}
    for parsed in files:
        top.update({k: v for k, v in parsed.top.items() if k != "replace_shipped"})
        seen: set[str] = set()
        for entry in parsed.entries:
            rule_id = entry.values.get("id")
            if rule_id is None:
                continue
            if rule_id in seen:
                problems.append(RuleProblem(parsed.path, entry.line, f"milestone {rule_id!r} is defined twice"))
                continue
            seen.add(rule_id)
            key_files = dict.fromkeys(entry.values, entry.path)
            if rule_id in merged:  # a later file changes only the keys it gives
                base = merged[rule_id]
                merged[rule_id] = _Entry(
                    entry.path,
                    entry.line,
                    {**base.values, **entry.values},
                    {**base.key_lines, **entry.key_lines},
                    {**base.key_files, **key_files},
                )
                continue
            missing = [k for k in _REQUIRED_RULE_KEYS if k not in entry.values]
            if missing:
                problems.append(
                    RuleProblem(parsed.path, entry.line, f"milestone {rule_id!r} is missing {', '.join(missing)}")
                )
                continue
            entry.key_files = key_files
            merged[rule_id] = entry
    return top, merged


def _key_where(entry: _Entry, key: str) -> tuple[Path, int | None]:
    return entry.key_files.get(key, entry.path), entry.key_lines.get(key, entry.line)


def _build_rule(entry: _Entry) -> MilestoneRule:
    return MilestoneRule(**entry.values, origin=_where(entry.path, entry.line))


def _check_set(merged: dict[str, _Entry], problems: list[RuleProblem]) -> list[str]:
    """References, repeats and cycles; returns the ids in dependency order."""
    for rule_id, entry in merged.items():
        values = entry.values
        if "late_entry_within" in values and values.get("late_entry") is not LateEntry.AT_REGISTRATION:
            path, line = _key_where(entry, "late_entry_within")
            problems.append(
                RuleProblem(
                    path, line, f'milestone {rule_id!r}: late_entry_within needs late_entry = "at_registration"'
                )
            )
        due: Due = values["due"]
        if due.kind is not DueKind.AFTER_MILESTONE:
            continue
        path, line = _key_where(entry, "due")
        target = merged.get(due.milestone or "")
        if target is None:
            problems.append(
                RuleProblem(path, line, f"milestone {rule_id!r} is relative to unknown milestone {due.milestone!r}")
            )
        elif target.values.get("repeat") is not None:
            problems.append(
                RuleProblem(
                    path,
                    line,
                    f"milestone {rule_id!r} is relative to {due.milestone!r}, which repeats; choose a one-off",
                )
            )

    order: list[str] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(rule_id: str, trail: list[str]) -> None:
        if state.get(rule_id) == 2:
            return
        if state.get(rule_id) == 1:
            cycle = [*trail[trail.index(rule_id) :], rule_id]
            path, line = _key_where(merged[rule_id], "due")
            problems.append(
                RuleProblem(path, line, f"milestones depend on each other in a cycle: {' -> '.join(cycle)}")
            )
            return
        state[rule_id] = 1
        due: Due = merged[rule_id].values["due"]
        if due.kind is DueKind.AFTER_MILESTONE and due.milestone in merged:
            visit(due.milestone, [*trail, rule_id])
        state[rule_id] = 2
        order.append(rule_id)

    for rule_id in merged:
        visit(rule_id, [])
    return order


# ------------------------------------------------------------------------------------------------------------
# Public loading
# ------------------------------------------------------------------------------------------------------------


def shipped_rules_path() -> Path:
    return shipped_data_file(SHIPPED_RULES_FILE)


def load_rules_files(paths: Iterable[Path]) -> MilestoneRules:
    """Load rules files layered in order (later files change or add rules by id). Raises ``RulesError``."""
    problems: list[RuleProblem] = []
    parsed: list[_ParsedFile] = []
    for path in paths:
        result = _read_file(Path(path), problems)
        if result is None:
            continue
        if result.top.get("replace_shipped"):
            parsed = []
        parsed.append(result)
    if problems:
        raise RulesError(problems)
    top, merged = _merge(parsed, problems)
    order = _check_set(merged, problems) if not problems else []
    if problems:
        raise RulesError(problems)
    rules = tuple(_build_rule(merged[rule_id]) for rule_id in order)
    return MilestoneRules(
        rules=rules,
        nation=top.get("nation", school_year.DEFAULT_NATION),
        assumed_transfer_age=top.get("assumed_transfer_age"),
        checklist_age_limit=top.get("checklist_age_limit"),
        files=tuple(p.path for p in parsed),
    )


def load_rules_file(path: Path) -> MilestoneRules:
    """Load one file on its own (no layering)."""
    return load_rules_files([path])


def load_rules(settings: Settings | None = None) -> MilestoneRules:
    """The shipped rules with the service's own file (``settings.rules_file``), if any, layered on top."""
    paths = [shipped_rules_path()]
    if settings is not None and settings.rules_file:
        paths.append(Path(settings.rules_file).expanduser())
    return load_rules_files(paths)
