"""The transition checklist engine: milestone rules -> dated items per young person.

Dates
-----
- Ages are added to the date of birth with ``dateutil.relativedelta``: a birthday on 29 February falls on
  28 February in common years (a reminder a day early rather than a day late).
- School years come from ``services.school_year`` for the rules' nation (England: 1 September; Reception in the
  academic year the child turns 5), moved by the patient's ``school_year_offset`` (a child educated out of their
  year group) unless the rule's due says ``by_age``. An ``ehcp_review`` due is months after the patient's
  ``ehcp_reviewed_on``, else its school term.
- The transfer date is the actual one (``transferred_on``), else the planned one, else the date of birth plus the
  rules' ``assumed_transfer_age`` but never sooner than six months after registration (a late joiner's assumed
  transfer moves to registration + 6 months, so the steps before it fall due at registration, never after the
  steps that follow it); with none of these, transfer-relative rules wait.
- A rule relative to another milestone is dated from that milestone's completion date once it is done (e.g. the
  PIP claim is due 28 days after the invitation actually arrived), else from its due date.
- Repeating rules roll: each occurrence is due ``every_months`` after the previous one was done (or was due).
- Late entry: an item due before the patient registered is skipped, or (``late_entry = "at_registration"``,
  optionally only within ``late_entry_within``) due at once on the registration date, as NICE NG43 asks for
  transition planning. A patient registered at or after ``checklist_age_limit`` gets no checklist.
- Past transfer: for a patient with ``transferred_on``, no new item due before that date (by its rule's own
  date, before any late-entry move) is added, nor any step to take before transfer. Existing untouched ("to do",
  no note) steps to take before transfer (a transfer-relative date before it, or a review repeating until it)
  become missed: "Not done before the transfer on DD/MM/YYYY"; other existing items stay, to be ticked off.
- Transfer not recorded: when the planned (else assumed) transfer date has passed and no ``transferred_on`` is
  recorded, the rules dated from the transfer wait (their untouched items are removed; they come back, dated,
  when the transfer or a new planned date is recorded) and ONE item stands for them, "Transfer never recorded:
  check what happened" (or "Planned transfer DD/MM/YYYY has passed: has the transfer happened?"), due on the date
  that passed. ``lifecycle.transfer_warning`` says the same for the screens.
- Past its time: no new item is added, and an untouched existing one becomes missed, once it is past the time it
  is for (``lifecycle.expires_on``): its rule's ``late_entry_within`` after its own date (it is for an age the
  young person has passed), a year after it fell due for a rule late joiners skip (a step tied to its time) and
  for a step in the months after transfer (first adult appointments, the follow-up), and
  for a repeating rule once the next occurrence is due. A checklist first generated for someone registered long
  ago (an import) so gets what still matters, not years of overdue items. An item someone has started (in
  progress) or written a note on is never missed for its time.
- ``done_when = "transfer_planned"``: the item is done (``completed_on`` today, audited under the current user,
  ``status_reason`` "Done when the planned transfer date was entered") while the patient has a planned transfer
  date, and to do again (``completed_on`` cleared) when the date is removed. An item ticked by hand stays done.

Closing (``services.transition.lifecycle``)
-------------------------------------------
A checklist closes when an item of a ``closes_checklist`` rule is done, when the young person reaches
``checklist_closes_at_age`` (25), or when the patient is archived. Generation then records
``patient.checklist_closed_on`` / ``checklist_closed_reason`` (audited, in the same transaction) and turns every open
item into missed, with "Checklist closed DD/MM/YYYY: <reason>"; nothing new is added except the transfer check for
someone who reached 25 with no transfer recorded. When the reason goes (un-archived, a corrected date of birth, the
closing item re-opened), the checklist reopens: the date and reason are cleared, and items missed only because of
the closing are to do again if their rule still asks for them (then dated as usual); other missed items stay.

Regeneration (``generate_checklist``, ``regenerate_all``) is idempotent. Items are keyed by
(patient, rule id, occurrence) — unique in the table. Running again adds what is missing; moves the dates (and
title, owner, category, stage) of items not yet done; never touches done, not-applicable or missed items (but for
the reopenings above); and removes
an item that no rule asks for any more (rule switched off or removed, condition no longer met, date of birth
corrected) **only** when it is still "to do" with no note. Every change is audited. Nothing here commits: the
caller commits the session.

Changing an item
----------------
- ``set_status(session, item_id, status, *, expected_version, reason="", note=None, completed_on=None,
  rules=None) -> TransitionItem``: ``status`` is a ``TransitionStatus`` or its value ("todo", "in_progress",
  "done", "not_applicable", "missed"). Not applicable and missed need a ``reason``; done sets ``completed_on``
  (default today, never in the future). A stale ``expected_version`` raises ``ConcurrentEditError``; bad input
  ``ValidationError``. Pass ``rules`` to re-date the patient's dependent items (rolling reviews, the PIP claim) at once.
- ``update_note(session, item_id, note, *, expected_version) -> TransitionItem``.

What the screens show of the items (a patient's checklist, the caseload) is in ``services.transition.checklists``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.models import AuditAction, AuditEvent, Patient, TransitionItem, TransitionStatus
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.bulk_rows import insert_rows
from coordinator_tui.services.safety.records import delete_record, get_or_raise, update_record
from coordinator_tui.services.transition import lifecycle, school_year
from coordinator_tui.services.transition.milestone_rules import (
    Due,
    DueKind,
    LateEntry,
    MilestoneRule,
    MilestoneRules,
    Period,
)
from coordinator_tui.validation import FieldError, ValidationError, clean_text

MAX_OCCURRENCES = 40
OPEN_STATUSES = (TransitionStatus.TODO, TransitionStatus.IN_PROGRESS)
FINISHED_STATUSES = (TransitionStatus.DONE, TransitionStatus.NOT_APPLICABLE, TransitionStatus.MISSED)

# ------------------------------------------------------------------------------------------------------------
# Computing the plan (pure: no database)
# ------------------------------------------------------------------------------------------------------------


class ItemState(Protocol):
    """What the engine reads of an existing item: a ``TransitionItem`` or a lightweight row of its columns."""

    @property
    def id(self) -> int | None: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def occurrence(self) -> int: ...
    @property
    def status(self) -> TransitionStatus: ...
    @property
    def completed_on(self) -> dt.date | None: ...
    @property
    def due_date(self) -> dt.date: ...
    @property
    def note(self) -> str: ...
    @property
    def status_reason(self) -> str: ...
    @property
    def version(self) -> int: ...


@dataclass(frozen=True)
class PlannedItem:
    rule_id: str
    occurrence: int
    title: str
    category: str
    owner_role: str
    stage: str
    due_date: dt.date
    appears_on: dt.date
    done_by_fact: bool | None = None  # a done_when rule: whether its fact is on the record (None: no done_when)

    @property
    def key(self) -> tuple[str, int]:
        return (self.rule_id, self.occurrence)


def transfer_date(patient: Patient, rules: MilestoneRules) -> dt.date | None:
    """Actual transfer date, else the planned one, else the assumed one (``lifecycle.assumed_transfer``: the
    assumed transfer age, never sooner than six months after registration); None when none is known."""
    if patient.transferred_on is not None:
        return patient.transferred_on
    if patient.planned_transfer_date is not None:
        return patient.planned_transfer_date
    return lifecycle.assumed_transfer(patient, rules)


def _base_due(
    rule: MilestoneRule,
    patient: Patient,
    transfer: dt.date | None,
    anchors: Mapping[str, dt.date | None],
    nation: str,
) -> dt.date | None:
    due = rule.due
    dob = patient.date_of_birth
    if due.kind is DueKind.AGE:
        assert due.age is not None
        return due.age.after(dob)
    if due.kind is DueKind.EHCP_REVIEW and patient.ehcp_reviewed_on is not None:
        return due.offset.after(patient.ehcp_reviewed_on)
    if due.in_school_year:  # the patient's year group, unless the rule counts school years by age
        return _school_due(due, dob, nation, 0 if due.by_age else patient.school_year_offset or 0)
    anchor = anchors.get(due.milestone or "") if due.kind is DueKind.AFTER_MILESTONE else transfer
    return None if anchor is None else due.offset.after(anchor)


def _school_due(due: Due, dob: dt.date, nation: str, offset: int) -> dt.date:
    """A school-year due date: a term's start, a fixed day, or the last weekday of a month, in that school year."""
    assert due.school_year is not None
    if due.kind is DueKind.SCHOOL_DATE:
        assert due.month is not None and due.day is not None
        return school_year.date_in_school_year(dob, due.school_year, due.month, due.day, nation, offset)
    if due.kind is DueKind.SCHOOL_LAST_WEEKDAY:
        assert due.month is not None and due.weekday is not None
        return school_year.last_weekday_in_school_year(dob, due.school_year, due.month, due.weekday, nation, offset)
    assert due.term is not None  # a school term, or an EHCP review with no review date recorded
    return school_year.term_start(dob, due.school_year, due.term, nation, offset)


def _late_adjusted(rule: MilestoneRule, base: dt.date, registered: dt.date) -> dt.date | None:
    """The due date after the late-entry rule: unchanged, the registration date, or None (skipped)."""
    if base >= registered:
        return base
    if rule.late_entry is LateEntry.SKIP:
        return None
    if rule.late_entry_within is not None and registered > rule.late_entry_within.after(base):
        return None
    return registered


def _completed_on(item: ItemState | None) -> dt.date | None:
    if item is not None and item.status == TransitionStatus.DONE and item.completed_on is not None:
        return item.completed_on
    return None


def _planned(rule: MilestoneRule, occurrence: int, due: dt.date, patient: Patient) -> PlannedItem:
    return PlannedItem(
        rule_id=rule.id,
        occurrence=occurrence,
        title=rule.title,
        category=rule.category,
        owner_role=rule.owner_role,
        stage=rule.stage,
        due_date=due,
        appears_on=rule.lead_time.before(due),
        done_by_fact=_done_by_fact(rule, patient),
    )


def plan_for_patient(
    patient: Patient,
    rules: MilestoneRules,
    existing: Mapping[tuple[str, int], ItemState] | None = None,
    *,
    today: dt.date | None = None,
) -> list[PlannedItem]:
    """The items the rules ask for, for one patient (``checklist_plan``'s items)."""
    return checklist_plan(patient, rules, existing, today=today).items


@dataclass(frozen=True)
class ChecklistPlan:
    """What one patient's checklist should be: the items the rules ask for, the open items that can no longer be
    done (key -> why: they become missed), and whether (and why) the checklist is closed."""

    items: list[PlannedItem]
    missed: dict[tuple[str, int], str]
    closing: lifecycle.Closing | None = None


def registered_past_checklist_age(dob: dt.date, registered: dt.date, rules: MilestoneRules) -> bool:
    """Whether someone born on ``dob`` and registered on ``registered`` gets no checklist at all (registered at or
    after the rules' ``checklist_age_limit``)."""
    limit = rules.checklist_age_limit
    return limit is not None and registered >= limit.after(dob)


def checklist_plan(
    patient: Patient,
    rules: MilestoneRules,
    existing: Mapping[tuple[str, int], ItemState] | None = None,
    *,
    today: dt.date | None = None,
) -> ChecklistPlan:
    """The plan for one patient (see the module notes). ``existing`` (keyed by rule id and occurrence) supplies
    completion dates for relative and rolling dates, and keeps items that are already there."""
    existing = existing or {}
    today = today or clock.today()
    dob = patient.date_of_birth
    registered = patient.registered_on or dob
    if registered_past_checklist_age(dob, registered, rules):
        return ChecklistPlan([], {})
    done_on = {key[0]: day for key, item in existing.items() if key[1] == 0 and (day := _completed_on(item))}
    closed = lifecycle.closing(patient, rules, done_on, today)
    if closed is not None:
        return _closed_plan(patient, rules, closed, existing, today)
    return _open_plan(patient, rules, existing, today, registered)


def _closed_plan(
    patient: Patient,
    rules: MilestoneRules,
    closed: lifecycle.Closing,
    existing: Mapping[tuple[str, int], ItemState],
    today: dt.date,
) -> ChecklistPlan:
    """A closed checklist: every open item is missed, except the transfer check for someone who reached the
    closing age with no transfer recorded."""
    items: list[PlannedItem] = []
    if closed.by_age and patient.transferred_on is None:
        items.append(_transfer_check(patient, lifecycle.transfer_unrecorded_since(patient, rules, today) or closed.on))
    keep = {item.key for item in items}
    missed = {
        key: closed.missed_reason()
        for key, item in existing.items()
        if item.status in OPEN_STATUSES and key not in keep
    }
    return ChecklistPlan(items, missed, closed)


def _transfer_check(patient: Patient, due: dt.date) -> PlannedItem:
    return PlannedItem(
        rule_id=lifecycle.TRANSFER_CHECK_ID,
        occurrence=0,
        title=lifecycle.transfer_check_title(patient),
        category=lifecycle.TRANSFER_CHECK_CATEGORY,
        owner_role=lifecycle.TRANSFER_CHECK_OWNER,
        stage=lifecycle.TRANSFER_CHECK_STAGE,
        due_date=due,
        appears_on=due,
    )


@dataclass
class _OpenPlan:
    """The state of planning an open checklist, rule by rule (``_open_plan``)."""

    patient: Patient
    existing: Mapping[tuple[str, int], ItemState]
    today: dt.date
    registered: dt.date
    items: list[PlannedItem] = field(default_factory=list)
    missed: dict[tuple[str, int], str] = field(default_factory=dict)

    def add(self, rule: MilestoneRule, occurrence: int, base: dt.date, due: dt.date, expires: dt.date | None) -> None:
        """Plan an item, unless it is new and its time has passed (before a recorded transfer, or past the age
        it is for); an existing open item that can no longer be done is planned and missed."""
        key = (rule.id, occurrence)
        why_not = self.why_not_now(rule, base, expires)
        if key not in self.existing:
            # A step late joiners skip is not added once its date has passed (an import of old registrations).
            passed = rule.repeat is None and rule.late_entry is LateEntry.SKIP and due < self.today
            if why_not is None and not passed:
                self.items.append(_planned(rule, occurrence, due, self.patient))
            return
        self.items.append(_planned(rule, occurrence, due, self.patient))
        item = self.existing[key]
        untouched = item.status == TransitionStatus.TODO and not item.note.strip()  # started or noted: kept open
        if why_not is not None and (untouched or _missed_at_closing(item)):
            self.missed[key] = why_not

    def why_not_now(self, rule: MilestoneRule, base: dt.date, expires: dt.date | None) -> str | None:
        transferred = self.patient.transferred_on
        if transferred is not None and lifecycle.is_pre_transfer(rule):
            return f"Not done before the transfer on {lifecycle.uk(transferred)}"
        if transferred is not None and base < transferred:
            return f"Due {lifecycle.uk(base)}, before the transfer on {lifecycle.uk(transferred)}"
        if expires is not None and expires < self.today:
            return f"Past the time it is for (due {lifecycle.uk(base)}, relevant until {lifecycle.uk(expires)})"
        return None


def _open_plan(
    patient: Patient,
    rules: MilestoneRules,
    existing: Mapping[tuple[str, int], ItemState],
    today: dt.date,
    registered: dt.date,
) -> ChecklistPlan:
    transfer = transfer_date(patient, rules)
    unrecorded = lifecycle.transfer_unrecorded_since(patient, rules, today)
    plan = _OpenPlan(patient, existing, today, registered)
    anchors: dict[str, dt.date | None] = {}
    transfer_bound: set[str] = set()
    for rule in rules.rules:  # dependency order: anchors exist before the rules relative to them
        if lifecycle.is_transfer_bound(rule, transfer_bound):
            transfer_bound.add(rule.id)
        base = _base_due(rule, patient, transfer, anchors, rules.nation) if rule.applies_to(patient) else None
        if base is None:
            anchors[rule.id] = None
            continue
        if rule.repeat is None:
            due = _late_adjusted(rule, base, registered)
            anchors[rule.id] = _completed_on(existing.get((rule.id, 0))) or _done_by_fact_on(rule, patient, today)
            anchors[rule.id] = anchors[rule.id] or due or base
        else:
            anchors[rule.id] = base
        if not rule.enabled or (unrecorded is not None and rule.id in transfer_bound):
            continue  # switched off; or dated from a transfer that passed unrecorded: wait for the transfer check
        if rule.repeat is None:
            if due is not None:
                plan.add(rule, 0, base, due, lifecycle.expires_on(rule, base))
            continue
        occurrences = _occurrences(rule, base, patient, transfer, registered, existing, today)
        for index, (occurrence, due) in enumerate(occurrences):
            following = occurrences[index + 1][1] if index + 1 < len(occurrences) else None
            plan.add(rule, occurrence, due, due, None if following is None else following - dt.timedelta(days=1))
    if unrecorded is not None:
        plan.items.append(_transfer_check(patient, unrecorded))
    return ChecklistPlan(plan.items, plan.missed)


def _done_by_fact_on(rule: MilestoneRule, patient: Patient, today: dt.date) -> dt.date | None:
    return today if _done_by_fact(rule, patient) else None


def _done_by_fact(rule: MilestoneRule, patient: Patient) -> bool | None:
    """For a rule with ``done_when``: whether the fact it names is on the patient record (None: no done_when)."""
    if rule.done_when is None:
        return None
    return patient.planned_transfer_date is not None  # "transfer_planned", the only value


def _occurrences(
    rule: MilestoneRule,
    first: dt.date,
    patient: Patient,
    transfer: dt.date | None,
    registered: dt.date,
    existing: Mapping[tuple[str, int], ItemState],
    today: dt.date,
) -> list[tuple[int, dt.date]]:
    repeat = rule.repeat
    assert repeat is not None
    step = Period(months=repeat.every_months)
    bound: dt.date | None
    if repeat.until_transfer:
        bound = transfer
    else:
        assert repeat.until_age_years is not None
        bound = Period(years=repeat.until_age_years).after(patient.date_of_birth)
    if bound is None:  # no transfer date known: plan only up to the next occurrence from today
        bound = step.after(today)
    result: list[tuple[int, dt.date]] = []
    base = first
    for occurrence in range(1, MAX_OCCURRENCES + 1):
        if base > bound:
            break
        due: dt.date | None = base
        if base < registered:
            # Missed before registration: only the last missed one can be due at once (late-entry rule).
            due = None if step.after(base) <= registered else _late_adjusted(rule, base, registered)
        if due is None:
            base = step.after(base)
            continue
        if due > bound:
            break
        result.append((occurrence, due))
        base = step.after(_completed_on(existing.get((rule.id, occurrence))) or due)
    return result


# ------------------------------------------------------------------------------------------------------------
# Generating checklists (idempotent)
# ------------------------------------------------------------------------------------------------------------


@dataclass
class GenerationSummary:
    """What a generation run did. ``kept`` counts items no rule asks for any more but which were kept because
    they are started, finished or carry a note."""

    patients: int = 0
    affected: int = 0  # patients whose checklist changed
    added: int = 0
    moved: int = 0
    updated: int = 0
    removed: int = 0
    kept: int = 0
    unchanged: int = 0
    missed: int = 0  # of the moved and updated: open items that became missed
    closed: int = 0  # checklists that closed (the patient's closing date set)

    def __iadd__(self, other: GenerationSummary) -> GenerationSummary:
        for name in ("patients", "affected", "added", "moved", "updated", "removed", "kept", "unchanged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("missed", "closed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def changed(self) -> bool:
        return bool(self.added or self.moved or self.updated or self.removed)


_PLAN_FIELDS = ("title", "category", "owner_role", "stage", "due_date", "appears_on")


def generate_checklist(
    session: Session,
    patient: Patient,
    rules: MilestoneRules,
    *,
    today: dt.date | None = None,
    existing_items: Iterable[ItemState] | None = None,
) -> GenerationSummary:
    """Bring one patient's checklist in line with the rules (see the module notes). Does not commit."""
    assert patient.id is not None, "save the patient before generating a checklist"
    if existing_items is None:
        existing_items = _item_rows(session, [patient.id])
    new_items: list[dict[str, Any]] = []
    summary = _sync(session, patient, rules, existing_items, today, new_items)
    if new_items:
        _create_many(session, new_items)
    return summary


@dataclass(frozen=True)
class FirstChecklist:
    """A new patient's checklist, worked out before the patient is saved: the item rows to insert (``patient_id``
    still None), their audit snapshots encoded with the ids left null (``audit.fill_ids``), and the closing to record
    on the patient. Exactly what ``generate_checklist`` makes for a patient with no items yet, so an import of
    thousands can do this work with no write transaction open."""

    rows: list[dict[str, Any]]
    snapshots: list[str]
    closing: lifecycle.Closing | None


def first_checklist(
    patient: Patient,
    rules: MilestoneRules,
    *,
    today: dt.date | None = None,
    audit_note: Mapping[str, str] | None = None,
) -> FirstChecklist:
    """The checklist ``generate_checklist`` would give ``patient`` (not yet saved, so with no items).
    ``audit_note``: added to each item's audit snapshot (an import's ``imported_from``)."""
    today = today or clock.today()
    plan = checklist_plan(patient, rules, {}, today=today)
    rows = [_new_item_row(None, planned, today) for planned in plan.items]
    encode, note = _SNAPSHOT_JSON.encode, audit_note or {}
    return FirstChecklist(rows, [encode({"id": None, **row, **note}) for row in rows], plan.closing)


def insert_first_checklists(session: Session, checklists: Sequence[tuple[int, FirstChecklist]]) -> None:
    """Insert these saved patients' first checklists (``first_checklist``), audited as ``generate_checklist``
    would; the closings must already be on the patients. Does not commit."""
    rows: list[dict[str, Any]] = []
    snapshots: list[str] = []
    for patient_id, checklist in checklists:
        for row in checklist.rows:
            row["patient_id"] = patient_id  # the rows are the checklist's own: made for this one insert
        rows.extend(checklist.rows)
        snapshots.extend(checklist.snapshots)
    if rows:
        _create_many(session, rows, snapshots)


def _sync(
    session: Session,
    patient: Patient,
    rules: MilestoneRules,
    existing_items: Iterable[ItemState],
    today: dt.date | None,
    new_items: list[dict[str, Any]],
    *,
    dry_run: bool = False,
) -> GenerationSummary:
    """Update and remove one patient's items now; append the rows to add to ``new_items`` (inserted in bulk).
    ``dry_run``: count what would change, write nothing (a rules change's preview, in a read-only session)."""
    assert patient.id is not None
    today = today or clock.today()
    existing = {(item.rule_id, item.occurrence): item for item in existing_items}
    plan = checklist_plan(patient, rules, existing, today=today)
    summary = GenerationSummary(patients=1)
    planned_keys: set[tuple[str, int]] = set()
    for planned in plan.items:
        planned_keys.add(planned.key)
        item = existing.get(planned.key)
        if item is None:
            new_items.append(_new_item_row(patient.id, planned, today))
            summary.added += 1
            continue
        changes = _item_changes(item, planned, plan, today)
        _count_and_apply(session, item, changes, summary, dry_run)
    for key, item in existing.items():
        if key in planned_keys:
            continue
        if key in plan.missed:
            changes = {"status": TransitionStatus.MISSED, "status_reason": plan.missed[key]}
            _count_and_apply(session, item, changes, summary, dry_run)
        elif item.status == TransitionStatus.TODO and not item.note.strip():
            if not dry_run:
                delete_record(session, get_or_raise(session, TransitionItem, item.id))
            summary.removed += 1
        else:
            summary.kept += 1
    was_open = patient.checklist_closed_on is None
    if _record_closing(session, patient, plan.closing, dry_run):
        summary.updated += 1
        summary.closed += int(was_open and plan.closing is not None)
    summary.affected = int(summary.changed)
    return summary


def _missed_at_closing(item: ItemState) -> bool:
    return item.status == TransitionStatus.MISSED and item.status_reason.startswith(lifecycle.MISSED_AT_CLOSING)


def _item_changes(item: ItemState, planned: PlannedItem, plan: ChecklistPlan, today: dt.date) -> dict[str, Any]:
    """What to change on an existing item the plan asks for. Done, not applicable and missed items are kept
    exactly as recorded, except: an item missed only because the checklist closed opens again when it reopens; an
    item done because a planned transfer date was entered opens again when the date is removed."""
    fields = {name: getattr(planned, name) for name in _PLAN_FIELDS if getattr(item, name) != getattr(planned, name)}
    reopened: dict[str, Any] = {}
    if plan.closing is None and _missed_at_closing(item):
        reopened = {"status": TransitionStatus.TODO, "status_reason": ""}
    elif item.status == TransitionStatus.DONE and item.status_reason == lifecycle.DONE_BY_PLANNED_DATE:
        if planned.done_by_fact is False:
            return {"status": TransitionStatus.TODO, "status_reason": "", "completed_on": None, **fields}
        return {}
    elif item.status not in OPEN_STATUSES:
        return {}
    if planned.key in plan.missed:
        return {**fields, "status": TransitionStatus.MISSED, "status_reason": plan.missed[planned.key]}
    if planned.done_by_fact:
        return {**fields, **_done_by_fact_values(today)}
    return {**reopened, **fields}


def _done_by_fact_values(today: dt.date) -> dict[str, Any]:
    return {"status": TransitionStatus.DONE, "completed_on": today, "status_reason": lifecycle.DONE_BY_PLANNED_DATE}


def _count_and_apply(
    session: Session, item: ItemState, changes: dict[str, Any], summary: GenerationSummary, dry_run: bool
) -> None:
    if not changes:
        summary.unchanged += 1
        return
    if not dry_run:
        update_record(session, TransitionItem, item.id, changes, expected_version=item.version)
    if "due_date" in changes:
        summary.moved += 1
    else:
        summary.updated += 1
    summary.missed += int(changes.get("status") == TransitionStatus.MISSED)


def _record_closing(session: Session, patient: Patient, closing: lifecycle.Closing | None, dry_run: bool) -> bool:
    """Keep ``checklist_closed_on`` / ``_reason`` in line with the plan (the first date a reason applied is kept);
    returns whether they change. Audited through ``update_record``."""
    if closing is None:
        changes: dict[str, Any] = {}
        if patient.checklist_closed_on is not None or patient.checklist_closed_reason:
            changes = {"checklist_closed_on": None, "checklist_closed_reason": ""}
    elif patient.checklist_closed_on is not None and patient.checklist_closed_reason == closing.reason:
        changes = {}
    else:
        changes = {"checklist_closed_on": closing.on, "checklist_closed_reason": closing.reason}
    if changes and not dry_run:
        update_record(session, Patient, patient.id, changes)
    return bool(changes)


def _item_rows(session: Session, patient_ids: Sequence[int]) -> Sequence[Any]:
    """Existing items as plain rows (attribute access by column name): much lighter than ORM objects."""
    table = TransitionItem.__table__  # type: ignore[attr-defined]
    return session.execute(sa.select(*table.c).where(table.c.patient_id.in_(patient_ids))).all()


def _new_item_row(patient_id: int | None, planned: PlannedItem, today: dt.date) -> dict[str, Any]:
    """Every column of a new item (as ``TransitionItem`` defaults would fill them), without building the model;
    done at once when its ``done_when`` fact is on the record."""
    status: dict[str, Any] = {"status": TransitionStatus.TODO, "status_reason": "", "completed_on": None}
    if planned.done_by_fact:
        status = _done_by_fact_values(today)
    return {
        "patient_id": patient_id,
        "rule_id": planned.rule_id,
        "occurrence": planned.occurrence,
        **{name: getattr(planned, name) for name in _PLAN_FIELDS},
        **status,
        "note": "",
        "version": 1,
    }


def _create_many(session: Session, rows: Sequence[dict[str, Any]], snapshots: Sequence[str] | None = None) -> None:
    """Insert in one statement, with one audit event per item (ids read back by their unique key).

    Equivalent to ``records.create_record`` per item (same audit entity, action and JSON snapshot), but batched:
    a first generation for thousands of patients creates hundreds of thousands of items, so both tables are
    written by ``bulk_rows.insert_rows`` (the driver's executemany, values converted by the columns' own types).
    ``snapshots``: the rows' audit snapshots already encoded with null ids (``first_checklist``), filled in here.
    """
    table = TransitionItem.__table__  # type: ignore[attr-defined]
    insert_rows(session, table, rows)
    patient_ids = {row["patient_id"] for row in rows}
    id_of = {
        (patient_id, rule_id, occurrence): item_id
        for item_id, patient_id, rule_id, occurrence in session.execute(
            sa.select(table.c.id, table.c.patient_id, table.c.rule_id, table.c.occurrence).where(
                table.c.patient_id.in_(patient_ids)
            )
        )
    }
    encode = _SNAPSHOT_JSON.encode
    fill_ids = audit.fill_ids
    audit_rows = []
    for index, row in enumerate(rows):
        item_id = id_of[(row["patient_id"], row["rule_id"], row["occurrence"])]
        if snapshots is None:
            after = encode({"id": item_id, **row})
        else:
            after = fill_ids(snapshots[index], id=item_id, patient_id=row["patient_id"])
        audit_rows.append({"entity_id": str(item_id), "patient_id": row["patient_id"], "after": after})
    same_for_all = {
        "at": clock.now(),
        "user": audit.current_user(session),
        "action": AuditAction.CREATE,
        "entity": audit.entity_name(TransitionItem),
        "before": "{}",
    }
    insert_rows(session, AuditEvent.__table__, audit_rows, same_for_all)  # type: ignore[attr-defined]


#: ``json.dumps(value, sort_keys=True, default=str)`` (``audit.snapshot``'s form) without a new encoder per call.
_SNAPSHOT_JSON = json.JSONEncoder(sort_keys=True, default=str)


def regenerate_all(
    session: Session,
    rules: MilestoneRules,
    *,
    today: dt.date | None = None,
    chunk_size: int = 500,
) -> GenerationSummary:
    """Regenerate every non-archived patient's checklist, a chunk of patients per query. Does not commit."""
    total = GenerationSummary()
    ids = active_patient_ids(session)
    for start in range(0, len(ids), chunk_size):
        total += regenerate_patients(session, ids[start : start + chunk_size], rules, today=today)
    return total


def active_patient_ids(session: Session) -> list[int]:
    """The ids of every non-archived patient, in id order (whose checklists a regeneration brings up to date)."""
    query = select(Patient.id).where(col(Patient.archived).is_(False)).order_by(col(Patient.id))
    return [patient_id for patient_id in session.exec(query).all() if patient_id is not None]


def regenerate_patients(
    session: Session,
    patient_ids: Sequence[int],
    rules: MilestoneRules,
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
) -> GenerationSummary:
    """Regenerate these patients' checklists (two reads, then the changes). ``dry_run``: count what would change
    and write nothing. Does not commit."""
    total = GenerationSummary()
    patients = session.exec(select(Patient).where(col(Patient.id).in_(patient_ids)).order_by(col(Patient.id))).all()
    items_by_patient: dict[int, list[Any]] = defaultdict(list)
    for row in _item_rows(session, patient_ids):
        items_by_patient[row.patient_id].append(row)
    new_items: list[dict[str, Any]] = []
    for patient in patients:
        assert patient.id is not None
        items = items_by_patient.get(patient.id, [])
        total += _sync(session, patient, rules, items, today, new_items, dry_run=dry_run)
    if new_items and not dry_run:
        _create_many(session, new_items)
    return total


# ------------------------------------------------------------------------------------------------------------
# Item operations (all audited through records.update_record)
# ------------------------------------------------------------------------------------------------------------


def _clean(value: str, field_name: str, *, max_length: int, required: bool = False, multiline: bool = False) -> str:
    try:
        return clean_text(value or "", field_name, max_length=max_length, required=required, multiline=multiline)
    except FieldError as exc:
        raise ValidationError.single(field_name, exc.message) from exc


def set_status(
    session: Session,
    item_id: int,
    status: TransitionStatus | str,
    *,
    expected_version: int | None,
    reason: str = "",
    note: str | None = None,
    completed_on: dt.date | None = None,
    rules: MilestoneRules | None = None,
) -> TransitionItem:
    """Change an item's status (see the module notes). Returns the saved item."""
    try:
        new_status = TransitionStatus(status)
    except ValueError:
        choices = ", ".join(s.value for s in TransitionStatus)
        raise ValidationError.single("status", f"unknown status {status!r} (expected one of: {choices})") from None
    changes: dict[str, Any] = {"status": new_status, "status_reason": "", "completed_on": None}
    if new_status in (TransitionStatus.NOT_APPLICABLE, TransitionStatus.MISSED):
        changes["status_reason"] = _clean(reason, "reason", max_length=400, required=True)
    elif new_status is TransitionStatus.DONE:
        today = clock.today()
        day = completed_on or today
        if day > today:
            raise ValidationError.single("completed_on", "cannot be in the future")
        changes["completed_on"] = day
    if note is not None:
        changes["note"] = _clean(note, "note", max_length=4000, multiline=True)
    item = update_record(session, TransitionItem, item_id, changes, expected_version=expected_version)
    if rules is not None:
        patient = get_or_raise(session, Patient, item.patient_id)
        generate_checklist(session, patient, rules)
        session.refresh(item)
    return item


def update_note(session: Session, item_id: int, note: str, *, expected_version: int | None) -> TransitionItem:
    """Replace an item's note (multi-line, up to 4000 characters)."""
    cleaned = _clean(note, "note", max_length=4000, multiline=True)
    return update_record(session, TransitionItem, item_id, {"note": cleaned}, expected_version=expected_version)
