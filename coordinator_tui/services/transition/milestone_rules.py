"""Milestone rules: read and check the TOML files that say which transition steps fall due when.

The shipped rules are ``data/milestones.toml`` (facts and their public sources are cited there, not here). A
service may keep its own rules (a file read once and kept as text in the database, ``Service.milestone_rules``,
see ``services.service_details``); they are **layered on top of the shipped file by milestone id**:

- an entry whose ``id`` is already shipped changes only the keys it gives (e.g. ``enabled = false`` switches the
  rule off; ``lead_time = { months = 3 }`` changes just its lead time);
- an entry with a new ``id`` adds a rule, and must give every required key;
- top-level keys (``nation``, ``assumed_transfer_age``, ``checklist_age_limit``, ``checklist_closes_at_age``,
  ``stages``) override the shipped ones;
- the clinical sign-off (``reviewed_by``, ``reviewed_on``) is NOT layered: it covers only the file it is written
  in, so the rules in force are "reviewed" only if the last file layered says so (a service's changes need their
  own review);
- ``replace_shipped = true`` at the top of the service file makes it stand alone (the shipped rules are ignored).

File format (pydantic models below check every key and value; an unknown key is an error; a period is at most a
century: 100 years, 1200 months or 36600 days)::

    nation = "england"                            # which school calendar (services.school_year)
    assumed_transfer_age = { years = 18 }         # transfer-relative dates when no transfer date is planned
    checklist_age_limit = { years = 19 }          # registered at/after this age: no checklist (joined as adult)
    checklist_closes_at_age = { years = 25 }      # the checklist closes at this age (end of the SEND age range)
    stages = ["Ready", "Steady", "Go"]            # display order of stages; a stage not listed sorts after
    reviewed_by = "Dr Quinn Gooseberry"           # clinical sign-off: who ("" = not reviewed) ...
    reviewed_on = 2026-11-01                      # ... and when (a TOML date, not in the future); both or neither

    [[milestone]]
    id = "rsg_ready"                              # lower-case letters, digits, _ ; stable: items are keyed by it
    title = "..."
    category = "health"                           # one of CATEGORIES
    owner_role = "specialist nurse"               # one of OWNER_ROLES: a staff role ("young person" is refused)
    stage = "Ready"                               # free text: groups the patient's checklist
    due = { kind = "age", years = 11, months = 0 }
    #     { kind = "school_term", school_year = 9, term = "autumn" }     (term: autumn / spring / summer)
    #     { kind = "school_date", school_year = 6, month = 2, day = 15 }
    #     { kind = "school_last_weekday", school_year = 11, month = 6, weekday = "friday" }
    #     { kind = "ehcp_review", months = 12, school_year = 9, term = "autumn" }
    #           (months after the patient's EHCP was issued or last reviewed; none recorded: that term's start)
    #     { kind = "after_milestone", milestone = "pip_invitation", days = 28 }   (years/months/days, may be < 0)
    #     { kind = "transfer", months = -3 }      (offset from the transfer date)
    lead_time = { months = 2 }                    # how long before the due date it appears (default 1 month)
    repeat = { every_months = 12, until = "transfer" }   # or until_age_years = 19; optional
    condition = "has_ehcp"                        # optional: one of CONDITIONS
    done_when = "transfer_planned"                # optional, one of DONE_WHEN: done while the patient has a
                                                  # planned transfer date (open again if it is removed)
    closes_checklist = true                       # optional: this item done closes the checklist
    late_entry = "at_registration"                # due before registration: "skip" (default) or due at once
    late_entry_within = { months = 24 }           # optional: only if registered within this of the due date
    enabled = true
    source = "NICE NG43 ..."

School years follow the patient's year group: every school-year kind (``school_term``, ``school_date``,
``school_last_weekday``, and ``ehcp_review`` without a review date) is moved by ``Patient.school_year_offset``
(+1: a year behind, e.g. a summer-born child who started Reception a year late). A school-year due with
``by_age = true`` counts school years from the date of birth alone, for legal deadlines tied to age (the end of
compulsory school age: the last Friday in June of the school year in which the young person turns 16).

Conditions (``CONDITIONS``): ``has_ehcp``, ``no_ehcp``, ``receives_dla`` (DLA for children),
``dla_appointee_parent`` (gets DLA and a parent is the appointee), ``learning_disability``,
``prescription_condition`` (diabetes not diet-controlled, or hypothyroidism: a medical exemption certificate),
``may_lack_capacity``.

A rule may be relative to another (``after_milestone``) but not to a repeating one, and never in a cycle. A rule
switched off still dates the rules relative to it; it just puts no item on checklists. ``done_when`` and
``closes_checklist`` need a one-off rule (no ``repeat``). This module only checks and carries them; what they do
to a patient's items (an item done by a planned transfer date, a closed checklist) is the engine's lifecycle.

``load_rules(service_rules, name)`` returns the checked ``MilestoneRules``; any problem raises ``RulesError`` whose
message names each file (the service's rules by the name of the file they were read from), line (where it can be
found, ``toml_files.TomlLines``) and reason. What one entry can say about itself is checked by the models; what
needs the whole layered set (required keys of a new rule, references, repeats, cycles) by ``_merge`` and
``_check_set``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from dateutil.relativedelta import relativedelta
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from coordinator_tui import clock
from coordinator_tui.config import shipped_data_file
from coordinator_tui.services.transition import school_year
from coordinator_tui.toml_files import TomlFileError, TomlLines, explain, parse_toml, read_toml

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

SHIPPED_RULES_FILE = "milestones.toml"
SERVICE_RULES_NAME = "the service's milestone rules"

CATEGORIES: tuple[str, ...] = (
    "health",
    "education",
    "benefits",
    "independent living",
    "employment",
    "social care",
    "communication",
)
# Every item has a staff owner, so that no item is missing from every caseload filter. The young person's own
# steps (the personal folder) are theirs, but the transition coordinator prompts them.
OWNER_ROLES: tuple[str, ...] = (
    "specialist nurse",
    "transition coordinator",
    "family support worker",
)
RETIRED_OWNER_ROLES: dict[str, str] = {
    "young person": "the young person's steps are prompted by staff; use 'transition coordinator'",
}

# What a rule's ``condition`` may name: a test on the patient record.
CONDITIONS: dict[str, Callable[[Any], bool]] = {
    "has_ehcp": lambda patient: bool(patient.has_ehcp),
    "no_ehcp": lambda patient: not patient.has_ehcp,
    "receives_dla": lambda patient: bool(patient.receives_dla),
    "dla_appointee_parent": lambda patient: bool(patient.receives_dla and patient.dla_appointee_parent),
    "learning_disability": lambda patient: bool(patient.learning_disability),
    "prescription_condition": lambda patient: bool(patient.diabetes_not_diet_controlled or patient.hypothyroidism),
    "may_lack_capacity": lambda patient: bool(patient.may_lack_capacity),
}

# What a rule's ``done_when`` may name: a fact on the patient record that counts as the item being done (the
# lifecycle in ``engine`` applies it; the item is open again when the fact goes away).
DONE_WHEN: tuple[str, ...] = ("transfer_planned",)
WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

MAX_ID_LENGTH = 80
MAX_TITLE_LENGTH = 200
MAX_STAGE_LENGTH = 40
MAX_REVIEWER_LENGTH = 200


class DueKind(StrEnum):
    AGE = "age"
    SCHOOL_TERM = "school_term"
    SCHOOL_DATE = "school_date"
    AFTER_MILESTONE = "after_milestone"
    TRANSFER = "transfer"
    SCHOOL_LAST_WEEKDAY = "school_last_weekday"
    EHCP_REVIEW = "ehcp_review"


_SCHOOL_YEAR_KINDS = frozenset(
    {DueKind.SCHOOL_TERM, DueKind.SCHOOL_DATE, DueKind.SCHOOL_LAST_WEEKDAY, DueKind.EHCP_REVIEW}
)


class LateEntry(StrEnum):
    SKIP = "skip"
    AT_REGISTRATION = "at_registration"


def _normalised(delta: relativedelta) -> tuple[int, int, dt.timedelta]:
    return delta.years, delta.months, dt.timedelta(days=delta.days)


_MONTH_LENGTHS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _add(day: dt.date, years: int, months: int, days: dt.timedelta) -> dt.date:
    """``day + relativedelta(years=.., months=.., days=..)`` (months already within -11..11), by
    ``relativedelta.__add__``'s own arithmetic: move the year and month, cap the day at the month's length, then
    add the days. A checklist for thousands of patients adds hundreds of thousands of periods; constructing and
    adding ``relativedelta`` objects was a fifth of an import's time. tests/test_transition_bulk.py checks this
    against ``relativedelta`` day by day."""
    year, month = day.year + years, day.month
    if months:
        month += months
        if month > 12:
            year, month = year + 1, month - 12
        elif month < 1:
            year, month = year - 1, month + 12
    if year != day.year or month != day.month:
        length = 29 if month == 2 and calendar.isleap(year) else _MONTH_LENGTHS[month]
        day = dt.date(year, month, min(length, day.day))
    return day + days if days else day


@dataclass(frozen=True)
class Period:
    """A calendar period (years, months, days), applied with ``dateutil.relativedelta``."""

    years: int = 0
    months: int = 0
    days: int = 0

    @functools.cached_property
    def delta(self) -> relativedelta:
        """Made once per period (a checklist for thousands of patients adds the same periods hundreds of
        thousands of times); ``relativedelta`` arithmetic returns new objects, so the shared one is never changed."""
        return relativedelta(years=self.years, months=self.months, days=self.days)

    @functools.cached_property
    def _forward(self) -> tuple[int, int, dt.timedelta]:
        """(years, months within -11..11, days) as ``relativedelta`` normalises them."""
        return _normalised(self.delta)

    @functools.cached_property
    def _backward(self) -> tuple[int, int, dt.timedelta]:
        return _normalised(-self.delta)

    def after(self, day: dt.date) -> dt.date:
        """``day + self.delta``, computed directly (see ``_add``)."""
        return _add(day, *self._forward)

    def before(self, day: dt.date) -> dt.date:
        """``day - self.delta`` (``relativedelta`` subtracts by adding its negation)."""
        return _add(day, *self._backward)

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
    weekday: int | None = None  # 0 = Monday
    by_age: bool = False  # school year from the date of birth alone, not the patient's year group

    @property
    def in_school_year(self) -> bool:
        """Dated within a school year (the ``ehcp_review`` kind when no review date is recorded)."""
        return self.kind in _SCHOOL_YEAR_KINDS

    def describe(self) -> str:
        if self.kind is DueKind.AGE:
            return f"at age {self.age}"
        if self.kind is DueKind.SCHOOL_TERM:
            return f"start of {self.term} term, {self._school_year()}"
        if self.kind is DueKind.SCHOOL_DATE:
            assert self.month is not None and self.day is not None
            return f"{self.day} {_month_name(self.month)} of {self._school_year()}"
        if self.kind is DueKind.SCHOOL_LAST_WEEKDAY:
            assert self.month is not None and self.weekday is not None
            weekday = WEEKDAYS[self.weekday].capitalize()
            return f"last {weekday} in {_month_name(self.month)} of {self._school_year()}"
        if self.kind is DueKind.EHCP_REVIEW:
            fallback = f"start of {self.term} term, {_school_year_name(self.school_year)}"
            return f"{self.offset} after the EHCP was issued or last reviewed (no date recorded: {fallback})"
        target = f"milestone {self.milestone!r}" if self.kind is DueKind.AFTER_MILESTONE else "transfer"
        if self.offset.is_zero():
            return f"with {target}"
        return f"{self.offset} {'before' if self.offset.is_negative() else 'after'} {target}"

    def _school_year(self) -> str:
        name = _school_year_name(self.school_year)
        return f"{name} by age" if self.by_age else name


def _month_name(month: int) -> str:
    return dt.date(2001, month, 1).strftime("%B")


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
    done_when: str | None = None  # one of DONE_WHEN
    closes_checklist: bool = False  # its being done closes the patient's checklist
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
    checklist_closes_at_age: Period | None = None
    stages: tuple[str, ...] = ()
    reviewed_by: str = ""  # "" = not reviewed clinically
    reviewed_on: dt.date | None = None
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

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewed_by)

    def stage_rank(self, stage: str) -> int:
        """Where a stage sorts: its place in ``stages``; a stage not listed sorts after every listed one."""
        try:
            return self.stages.index(stage)
        except ValueError:
            return len(self.stages)

    def review_text(self) -> str:
        """The clinical sign-off in words, for screens and help."""
        if not self.reviewed:
            return "Not yet reviewed clinically"
        on = f" on {self.reviewed_on:%d/%m/%Y}" if self.reviewed_on else ""
        return f"Reviewed by {self.reviewed_by}{on}"


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
# The file, as pydantic models (strict TOML types, no unknown keys); each table converts to its domain value
# ------------------------------------------------------------------------------------------------------------

MAX_PERIOD_YEARS, MAX_PERIOD_MONTHS, MAX_PERIOD_DAYS = 100, 1200, 36_600  # a century: dates stay in range

_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_TERMS = school_year.TERMS  # a name of its own: the field ``school_year`` hides the module inside the models
_LATE_ENTRIES = tuple(entry.value for entry in LateEntry)


def _rule_id(value: str) -> str:
    if not _ID_PATTERN.match(value):
        raise ValueError(f"{value!r} must be lower-case letters, digits and _ (starting with a letter)")
    return value


_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_RuleId = Annotated[_Text, StringConstraints(max_length=MAX_ID_LENGTH), AfterValidator(_rule_id)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _PeriodIn(_Table):
    years: int = Field(0, ge=0, le=MAX_PERIOD_YEARS)
    months: int = Field(0, ge=0, le=MAX_PERIOD_MONTHS)
    days: int = Field(0, ge=0, le=MAX_PERIOD_DAYS)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("needs years, months or days")
        return self


_Period = Annotated[_PeriodIn, AfterValidator(lambda p: Period(p.years, p.months, p.days))]


class _AgeDue(_Table):
    kind: Literal["age"]
    years: int = Field(ge=0, le=30)
    months: int = Field(0, ge=0, le=11)

    def due(self) -> Due:
        return Due(DueKind.AGE, age=Period(years=self.years, months=self.months))


class _SchoolTermDue(_Table):
    kind: Literal["school_term"]
    school_year: int = Field(ge=-2, le=15)
    term: Literal[_TERMS]  # type: ignore[valid-type]
    by_age: bool = False

    def due(self) -> Due:
        return Due(DueKind.SCHOOL_TERM, school_year=self.school_year, term=self.term, by_age=self.by_age)


class _SchoolDateDue(_Table):
    kind: Literal["school_date"]
    school_year: int = Field(ge=-2, le=15)
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    by_age: bool = False

    @model_validator(mode="after")
    def _in_every_year(self) -> Self:
        try:
            dt.date(2001, self.month, self.day)  # a common year: refuses 31 April and 29 February alike
        except ValueError:
            raise ValueError(f"day {self.day} of month {self.month} is not a date in every year") from None
        return self

    def due(self) -> Due:
        return Due(
            DueKind.SCHOOL_DATE, school_year=self.school_year, month=self.month, day=self.day, by_age=self.by_age
        )


class _SchoolLastWeekdayDue(_Table):
    """The last given weekday of a month in a school year (the last Friday in June of Year 11)."""

    kind: Literal["school_last_weekday"]
    school_year: int = Field(ge=-2, le=15)
    month: int = Field(ge=1, le=12)
    weekday: Literal[WEEKDAYS]  # type: ignore[valid-type]
    by_age: bool = False

    def due(self) -> Due:
        return Due(
            DueKind.SCHOOL_LAST_WEEKDAY,
            school_year=self.school_year,
            month=self.month,
            weekday=WEEKDAYS.index(self.weekday),
            by_age=self.by_age,
        )


class _EhcpReviewDue(_Table):
    """``months`` after the patient's EHCP was issued or last reviewed; with no date recorded, the start of
    ``term`` in ``school_year`` (the patient's year group)."""

    kind: Literal["ehcp_review"]
    months: int = Field(12, ge=1, le=12)
    school_year: int = Field(ge=-2, le=15)
    term: Literal[_TERMS]  # type: ignore[valid-type]

    def due(self) -> Due:
        return Due(DueKind.EHCP_REVIEW, school_year=self.school_year, term=self.term, offset=Period(months=self.months))


class _TransferDue(_Table):
    """Offsets may be negative (before the transfer or the other milestone)."""

    kind: Literal["transfer"]
    years: int = Field(0, ge=-MAX_PERIOD_YEARS, le=MAX_PERIOD_YEARS)
    months: int = Field(0, ge=-MAX_PERIOD_MONTHS, le=MAX_PERIOD_MONTHS)
    days: int = Field(0, ge=-MAX_PERIOD_DAYS, le=MAX_PERIOD_DAYS)

    def due(self) -> Due:
        return Due(DueKind.TRANSFER, offset=Period(self.years, self.months, self.days))


class _AfterMilestoneDue(_TransferDue):
    kind: Literal["after_milestone"]  # type: ignore[assignment]
    milestone: _RuleId

    def due(self) -> Due:
        return Due(DueKind.AFTER_MILESTONE, milestone=self.milestone, offset=super().due().offset)


_DUE_TABLES: dict[str, type[_Table]] = {
    DueKind.AGE: _AgeDue,
    DueKind.SCHOOL_TERM: _SchoolTermDue,
    DueKind.SCHOOL_DATE: _SchoolDateDue,
    DueKind.AFTER_MILESTONE: _AfterMilestoneDue,
    DueKind.TRANSFER: _TransferDue,
    DueKind.SCHOOL_LAST_WEEKDAY: _SchoolLastWeekdayDue,
    DueKind.EHCP_REVIEW: _EhcpReviewDue,
}
_Due = Annotated[
    _AgeDue
    | _SchoolTermDue
    | _SchoolDateDue
    | _AfterMilestoneDue
    | _TransferDue
    | _SchoolLastWeekdayDue
    | _EhcpReviewDue,
    Field(discriminator="kind"),
    AfterValidator(lambda due: due.due()),
]


class _RepeatIn(_Table):
    every_months: int = Field(ge=1, le=60)
    until: Literal["transfer"] | None = None
    until_age_years: int | None = Field(None, ge=1, le=30)

    @model_validator(mode="after")
    def _one_bound(self) -> Self:
        if self.until is not None and self.until_age_years is not None:
            raise ValueError("takes until or until_age_years, not both")
        if self.until is None and self.until_age_years is None:
            raise ValueError('needs a bound: until = "transfer" or until_age_years = N')
        return self


_Repeat = Annotated[
    _RepeatIn,
    AfterValidator(lambda r: Repeat(r.every_months, r.until is not None, r.until_age_years)),
]


def _owner_role(value: str) -> str:
    if value in RETIRED_OWNER_ROLES:
        raise ValueError(f"{value!r} is no longer an owner: {RETIRED_OWNER_ROLES[value]}")
    if value not in OWNER_ROLES:
        expected = ", ".join(repr(role) for role in OWNER_ROLES)
        raise ValueError(f"{value!r} is not a staff owner (expected one of {expected})")
    return value


def _stages(value: list[str]) -> tuple[str, ...]:
    repeated = sorted({stage for stage in value if value.count(stage) > 1})
    if repeated:
        raise ValueError(f"names a stage twice: {', '.join(repr(stage) for stage in repeated)}")
    return tuple(value)


def _review_date(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError(f"must be a date written as YYYY-MM-DD without quotes (e.g. 2026-11-01), not {value!r}")
    if value > clock.today():
        raise ValueError(f"cannot be in the future ({value:%d/%m/%Y})")
    return value


_Stage = Annotated[_Text, StringConstraints(max_length=MAX_STAGE_LENGTH)]


class _MilestoneIn(_Table):
    """One [[milestone]] entry. Only ``id`` is required here: an entry of a service file may change just the keys
    it gives; a new rule's required keys are checked when the files are layered (``_merge``)."""

    id: _RuleId
    title: _Text | None = Field(None, max_length=MAX_TITLE_LENGTH)
    category: Literal[CATEGORIES] | None = None  # type: ignore[valid-type]
    owner_role: Annotated[_Text, AfterValidator(_owner_role)] | None = None
    stage: _Stage | None = None
    due: _Due | None = None
    lead_time: _Period | None = None
    repeat: _Repeat | None = None
    condition: Literal[tuple(CONDITIONS)] | None = None  # type: ignore[valid-type]
    late_entry: Annotated[Literal[_LATE_ENTRIES], AfterValidator(LateEntry)] | None = None  # type: ignore[valid-type]
    late_entry_within: _Period | None = None
    enabled: bool | None = None
    done_when: Literal[DONE_WHEN] | None = None  # type: ignore[valid-type]
    closes_checklist: bool | None = None
    source: _Text | None = None

    def given(self) -> dict[str, Any]:
        """The keys the entry gives, as domain values (``Due``, ``Period``, ``Repeat``, ``LateEntry``)."""
        return {key: getattr(self, key) for key in self.model_fields_set}


class _RulesFileIn(_Table):
    schema_version: int | None = Field(None, ge=1, le=1)
    nation: Literal[school_year.known_nations()] | None = None  # type: ignore[valid-type]
    assumed_transfer_age: _Period | None = None
    checklist_age_limit: _Period | None = None
    checklist_closes_at_age: _Period | None = None
    stages: Annotated[list[_Stage], Field(min_length=1), AfterValidator(_stages)] | None = None
    reviewed_by: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_REVIEWER_LENGTH)] = ""
    reviewed_on: Annotated[Any, AfterValidator(_review_date)] = None
    replace_shipped: bool = False
    milestone: list[_MilestoneIn] = []

    @model_validator(mode="after")
    def _signed_off_by_someone_on_a_day(self) -> Self:
        if self.reviewed_on is not None and not self.reviewed_by:
            raise ValueError("reviewed_on needs reviewed_by (who reviewed the rules clinically)")
        if self.reviewed_by and self.reviewed_on is None:
            raise ValueError("reviewed_by needs reviewed_on (the date of the clinical review, YYYY-MM-DD)")
        return self


_REQUIRED_RULE_KEYS = ("id", "title", "category", "owner_role", "stage", "due", "source")
_SIGN_OFF_KEYS = ("reviewed_by", "reviewed_on")
_ONE_OFF_KEYS = ("done_when", "closes_checklist")  # mean nothing on a repeating rule


# ------------------------------------------------------------------------------------------------------------
# Reading one file
# ------------------------------------------------------------------------------------------------------------


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


def _read_file(path: Path, problems: list[RuleProblem], text: str | None = None) -> _ParsedFile | None:
    """The checked entries of the rules file at ``path``, or of ``text`` (rules kept in the database, ``path``
    naming the file they came from) when given."""
    try:
        text, raw = read_toml(path) if text is None else (text, parse_toml(text))
    except TomlFileError as exc:
        problems.append(RuleProblem(path, exc.line, f"rules file {exc.reason}"))
        return None
    raw_entries = raw.get("milestone", [])
    if not isinstance(raw_entries, list) or not all(isinstance(e, dict) for e in raw_entries):
        problems.append(RuleProblem(path, None, "'milestone' must be a list of [[milestone]] entries"))
        return None
    lines = TomlLines(text, "milestone", len(raw_entries))
    try:
        checked = _RulesFileIn.model_validate(raw)
    except ValidationError as exc:
        found = [_problem(path, lines, raw_entries, error) for error in exc.errors(include_url=False)]
        problems.extend(sorted(found, key=lambda p: (p.line is None, p.line or 0)))
        return None
    top = {key: getattr(checked, key) for key in checked.model_fields_set if key != "milestone"}
    entries = [
        _Entry(
            path,
            lines.entry(index),
            entry.given(),
            {key: lines.entry(index, key) for key in entry.model_fields_set},
        )
        for index, entry in enumerate(checked.milestone)
    ]
    return _ParsedFile(path, top, entries)


def _problem(path: Path, lines: TomlLines, raw_entries: list[dict[str, Any]], error: ErrorDetails) -> RuleProblem:
    """One pydantic error as a problem with the file, the line and the reason (naming the milestone's id)."""
    loc = error["loc"]
    names = [part for part in loc if isinstance(part, str)]
    parent = names[:-1]
    if len(loc) < 2 or loc[0] != "milestone" or not isinstance(loc[1], int):  # a top-level key
        line = lines.top_level(str(loc[0])) if loc else None
        if error["type"] == "extra_forbidden" and len(loc) == 1:
            known = ", ".join(sorted(_RulesFileIn.model_fields))
            return RuleProblem(path, line, f"unknown top-level key '{loc[0]}' (allowed: {known})")
        return RuleProblem(path, line, explain(error, names, _allowed_keys(parent)))
    index, key = loc[1], (str(loc[2]) if len(loc) > 2 else None)
    line = lines.entry(index, key)
    names, parent = names[1:], parent[1:]
    if error["type"] == "missing" and names == ["id"]:
        return RuleProblem(path, line, "a milestone has no id")
    if error["type"] == "extra_forbidden" and not parent:
        known = ", ".join(sorted(_MilestoneIn.model_fields))
        reason = f"unknown key '{key}' in a milestone (allowed: {known})"
    else:
        shown = [name for i, name in enumerate(names) if not (i and names[i - 1] == "due" and name in _DUE_TABLES)]
        tagged = error["type"] == "union_tag_not_found"
        reason = explain(error, shown, _DUE_TABLES if tagged else _allowed_keys(["milestone", *parent]))
    rule_id = raw_entries[index].get("id")
    return RuleProblem(path, line, f"milestone {rule_id!r}: {reason}" if isinstance(rule_id, str) else reason)


def _allowed_keys(parent: list[str]) -> Collection[str]:
    """The keys of the table holding a key (``parent``: the key path to that table, union tags included)."""
    if not parent:
        return _RulesFileIn.model_fields
    if parent == ["milestone"]:
        return _MilestoneIn.model_fields
    if parent[-1] in _DUE_TABLES:
        return _DUE_TABLES[parent[-1]].model_fields
    return (_RepeatIn if parent[-1] == "repeat" else _PeriodIn).model_fields


# ------------------------------------------------------------------------------------------------------------
# Merging and whole-set checks
# ------------------------------------------------------------------------------------------------------------


def _where(path: Path, line: int | None) -> str:
    return f"{path.name}, line {line}" if line is not None else path.name


def _merge(files: list[_ParsedFile], problems: list[RuleProblem]) -> tuple[dict[str, Any], dict[str, _Entry]]:
    top: dict[str, Any] = {}
    merged: dict[str, _Entry] = {}
    for parsed in files:
        for key in _SIGN_OFF_KEYS:  # a sign-off covers only the file it is in: the last file layered says it
            top.pop(key, None)
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
        if values.get("repeat") is not None:
            for key in (k for k in _ONE_OFF_KEYS if values.get(k)):
                path, line = _key_where(entry, key)
                problems.append(
                    RuleProblem(path, line, f"milestone {rule_id!r}: {key} needs a one-off rule (no repeat)")
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


def load_rules_files(paths: Iterable[Path | RulesText]) -> MilestoneRules:
    """Load rules files (or rules kept as text) layered in order (later ones change or add rules by id). Raises
    ``RulesError``."""
    problems: list[RuleProblem] = []
    parsed: list[_ParsedFile] = []
    for source in paths:
        if isinstance(source, RulesText):
            result = _read_file(Path(source.name), problems, source.text)
        else:
            result = _read_file(Path(source), problems)
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
        checklist_closes_at_age=top.get("checklist_closes_at_age"),
        stages=top.get("stages", ()),
        reviewed_by=top.get("reviewed_by", ""),
        reviewed_on=top.get("reviewed_on"),
        files=tuple(p.path for p in parsed),
    )


def load_rules_file(path: Path) -> MilestoneRules:
    """Load one file on its own (no layering)."""
    return load_rules_files([path])


@dataclass(frozen=True)
class RulesText:
    """A rules file's text kept elsewhere (the service's rules in the database), named by the file it came from."""

    text: str
    name: str = SERVICE_RULES_NAME


def load_rules(service_rules: str = "", name: str = "") -> MilestoneRules:
    """The shipped rules with the service's own rules (TOML text, ``Service.milestone_rules``), if any, layered on
    top; ``name`` is the file they were read from, for the messages."""
    sources: list[Path | RulesText] = [shipped_rules_path()]
    if service_rules.strip():
        sources.append(RulesText(service_rules, name or SERVICE_RULES_NAME))
    return load_rules_files(sources)
