"""The transition checklist engine: milestone rules -> dated items per young person.

Dates
-----
- Ages are added to the date of birth with ``dateutil.relativedelta``: a birthday on 29 February falls on
  28 February in common years (a reminder a day early rather than a day late).
- School years come from ``services.school_year`` for the rules' nation (England: 1 September; Reception in the
  academic year the child turns 5).
- The transfer date is the actual one (``transferred_on``), else the planned one, else the date of birth plus the
  rules' ``assumed_transfer_age``; with none of these, transfer-relative rules wait.
- A rule relative to another milestone is dated from that milestone's completion date once it is done (e.g. the
  PIP claim is due 28 days after the invitation actually arrived), else from its due date.
- Repeating rules roll: each occurrence is due ``every_months`` after the previous one was done (or was due).
- Late entry: an item due before the patient registered is skipped, or (``late_entry = "at_registration"``,
  optionally only within ``late_entry_within``) due at once on the registration date, as NICE NG43 asks for
  transition planning. A patient registered at or after ``checklist_age_limit`` gets no checklist.
- Past transfer: for a patient with ``transferred_on``, no new item due before that date is added (existing
  ones stay, to be ticked off or marked not applicable).

Regeneration (``generate_checklist``, ``regenerate_all``) is idempotent. Items are keyed by
(patient, rule id, occurrence) — unique in the table. Running again adds what is missing; moves the dates (and
title, owner, category, stage) of items not yet done; never touches done or not-applicable items; and removes
an item that no rule asks for any more (rule switched off or removed, condition no longer met, date of birth
corrected) **only** when it is still "to do" with no note. Every change is audited. Nothing here commits: the
caller commits the session.

Changing an item
----------------
- ``set_status(session, item_id, status, *, expected_version, reason="", note=None, completed_on=None,
  rules=None) -> TransitionItem``: ``status`` is a ``TransitionStatus`` or its value ("todo", "in_progress",
  "done", "not_applicable"). Not applicable needs a ``reason``; done sets ``completed_on`` (default today, never
  in the future). A stale ``expected_version`` raises ``ConcurrentEditError``; bad input ``ValidationError``.
  Pass ``rules`` to re-date the patient's dependent items (rolling reviews, the PIP claim) at once.
- ``update_note(session, item_id, note, *, expected_version) -> TransitionItem``.

What the screens show of the items (a patient's checklist, the caseload) is in ``services.transition.checklists``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.models import AuditAction, AuditEvent, Patient, TransitionItem, TransitionStatus
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.records import delete_record, get_or_raise, update_record
from coordinator_tui.services.transition import school_year
from coordinator_tui.services.transition.milestone_rules import (
    Due,
    DueKind,
    LateEntry,
    MilestoneRule,
    MilestoneRules,
)
from coordinator_tui.validation import FieldError, ValidationError, clean_text

MAX_OCCURRENCES = 40
OPEN_STATUSES = (TransitionStatus.TODO, TransitionStatus.IN_PROGRESS)
FINISHED_STATUSES = (TransitionStatus.DONE, TransitionStatus.NOT_APPLICABLE)

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

    @property
    def key(self) -> tuple[str, int]:
        return (self.rule_id, self.occurrence)


def transfer_date(patient: Patient, rules: MilestoneRules) -> dt.date | None:
    """Actual transfer date, else the planned one, else the assumed transfer age; None when none is known."""
    if patient.transferred_on is not None:
        return patient.transferred_on
    if patient.planned_transfer_date is not None:
        return patient.planned_transfer_date
    if rules.assumed_transfer_age is not None:
        return patient.date_of_birth + rules.assumed_transfer_age.delta
    return None


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
        return dob + due.age.delta
    if due.kind is DueKind.EHCP_REVIEW and patient.ehcp_reviewed_on is not None:
        return patient.ehcp_reviewed_on + due.offset.delta
    if due.in_school_year:  # the patient's year group, unless the rule counts school years by age
        return _school_due(due, dob, nation, 0 if due.by_age else patient.school_year_offset or 0)
    anchor = anchors.get(due.milestone or "") if due.kind is DueKind.AFTER_MILESTONE else transfer
    return None if anchor is None else anchor + due.offset.delta


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
    if rule.late_entry_within is not None and registered > base + rule.late_entry_within.delta:
        return None
    return registered


def _completed_on(item: ItemState | None) -> dt.date | None:
    if item is not None and item.status == TransitionStatus.DONE and item.completed_on is not None:
        return item.completed_on
    return None


def _planned(rule: MilestoneRule, occurrence: int, due: dt.date) -> PlannedItem:
    return PlannedItem(
        rule_id=rule.id,
        occurrence=occurrence,
        title=rule.title,
        category=rule.category,
        owner_role=rule.owner_role,
        stage=rule.stage,
        due_date=due,
        appears_on=due - rule.lead_time.delta,
    )


def plan_for_patient(
    patient: Patient,
    rules: MilestoneRules,
    existing: Mapping[tuple[str, int], ItemState] | None = None,
    *,
    today: dt.date | None = None,
) -> list[PlannedItem]:
    """The items the rules ask for, for one patient. ``existing`` (keyed by rule id and occurrence) supplies
    completion dates for relative and rolling dates, and keeps pre-transfer items that are already there."""
    existing = existing or {}
    today = today or clock.today()
    dob = patient.date_of_birth
    registered = patient.registered_on or dob
    if rules.checklist_age_limit is not None and registered >= dob + rules.checklist_age_limit.delta:
        return []
    transfer = transfer_date(patient, rules)
    anchors: dict[str, dt.date | None] = {}
    planned: list[PlannedItem] = []

    def wanted(rule: MilestoneRule, occurrence: int, due: dt.date) -> bool:
        if not rule.enabled:
            return False
        past_transfer = patient.transferred_on is not None and due < patient.transferred_on
        return not past_transfer or (rule.id, occurrence) in existing

    for rule in rules.rules:  # dependency order: anchors exist before the rules relative to them
        base = _base_due(rule, patient, transfer, anchors, rules.nation) if rule.applies_to(patient) else None
        if base is None:
            anchors[rule.id] = None
            continue
        if rule.repeat is None:
            due = _late_adjusted(rule, base, registered)
            anchors[rule.id] = _completed_on(existing.get((rule.id, 0))) or due or base
            if due is not None and wanted(rule, 0, due):
                planned.append(_planned(rule, 0, due))
            continue
        anchors[rule.id] = base
        if rule.enabled:
            for occurrence, due in _occurrences(rule, base, patient, transfer, registered, existing, today):
                if wanted(rule, occurrence, due):
                    planned.append(_planned(rule, occurrence, due))
    return planned


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
    step = relativedelta(months=repeat.every_months)
    bound: dt.date | None
    if repeat.until_transfer:
        bound = transfer
    else:
        assert repeat.until_age_years is not None
        bound = patient.date_of_birth + relativedelta(years=repeat.until_age_years)
    if bound is None:  # no transfer date known: plan only up to the next occurrence from today
        bound = today + step
    result: list[tuple[int, dt.date]] = []
    base = first
    for occurrence in range(1, MAX_OCCURRENCES + 1):
        if base > bound:
            break
        due: dt.date | None = base
        if base < registered:
            # Missed before registration: only the last missed one can be due at once (late-entry rule).
            due = None if base + step <= registered else _late_adjusted(rule, base, registered)
        if due is None:
            base = base + step
            continue
        if due > bound:
            break
        result.append((occurrence, due))
        base = (_completed_on(existing.get((rule.id, occurrence))) or due) + step
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

    def __iadd__(self, other: GenerationSummary) -> GenerationSummary:
        for name in ("patients", "affected", "added", "moved", "updated", "removed", "kept", "unchanged"):
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
    existing = {(item.rule_id, item.occurrence): item for item in existing_items}
    plan = plan_for_patient(patient, rules, existing, today=today)
    summary = GenerationSummary(patients=1)
    planned_keys: set[tuple[str, int]] = set()
    for planned in plan:
        planned_keys.add(planned.key)
        item = existing.get(planned.key)
        if item is None:
            new_items.append(_new_item_row(patient.id, planned))
            summary.added += 1
            continue
        if item.status in FINISHED_STATUSES:  # done or not applicable: kept exactly as recorded
            summary.unchanged += 1
            continue
        changes = {
            name: getattr(planned, name) for name in _PLAN_FIELDS if getattr(item, name) != getattr(planned, name)
        }
        if not changes:
            summary.unchanged += 1
            continue
        if not dry_run:
            update_record(session, TransitionItem, item.id, changes, expected_version=item.version)
        if "due_date" in changes:
            summary.moved += 1
        else:
            summary.updated += 1
    for key, item in existing.items():
        if key in planned_keys:
            continue
        if item.status == TransitionStatus.TODO and not item.note.strip():
            if not dry_run:
                delete_record(session, get_or_raise(session, TransitionItem, item.id))
            summary.removed += 1
        else:
            summary.kept += 1
    summary.affected = int(summary.changed)
    return summary


def _item_rows(session: Session, patient_ids: Sequence[int]) -> Sequence[Any]:
    """Existing items as plain rows (attribute access by column name): much lighter than ORM objects."""
    table = TransitionItem.__table__  # type: ignore[attr-defined]
    return session.execute(sa.select(*table.c).where(table.c.patient_id.in_(patient_ids))).all()


def _new_item_row(patient_id: int, planned: PlannedItem) -> dict[str, Any]:
    """Every column of a new item (as ``TransitionItem`` defaults would fill them), without building the model."""
    return {
        "patient_id": patient_id,
        "rule_id": planned.rule_id,
        "occurrence": planned.occurrence,
        **{name: getattr(planned, name) for name in _PLAN_FIELDS},
        "status": TransitionStatus.TODO,
        "status_reason": "",
        "completed_on": None,
        "note": "",
        "version": 1,
    }


def _create_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert in one statement, with one audit event per item (ids read back by their unique key).

    Equivalent to ``records.create_record`` per item (same audit entity, action and JSON snapshot), but batched:
    a first generation for thousands of patients creates hundreds of thousands of items.
    """
    table = TransitionItem.__table__  # type: ignore[attr-defined]
    session.execute(sa.insert(table), rows)  # one executemany
    patient_ids = {row["patient_id"] for row in rows}
    id_of = {
        (patient_id, rule_id, occurrence): item_id
        for item_id, patient_id, rule_id, occurrence in session.execute(
            sa.select(table.c.id, table.c.patient_id, table.c.rule_id, table.c.occurrence).where(
                table.c.patient_id.in_(patient_ids)
            )
        )
    }
    ids = [id_of[(row["patient_id"], row["rule_id"], row["occurrence"])] for row in rows]
    at, user, entity = clock.now(), audit.current_user(session), audit.entity_name(TransitionItem)
    audit_rows = [
        {
            "at": at,
            "user": user,
            "action": AuditAction.CREATE,
            "entity": entity,
            "entity_id": str(item_id),
            "patient_id": row["patient_id"],
            "before": "{}",
            "after": json.dumps({"id": item_id, **row}, sort_keys=True, default=str),
        }
        for item_id, row in zip(ids, rows, strict=True)
    ]
    session.execute(sa.insert(AuditEvent), audit_rows)


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
    if new_status is TransitionStatus.NOT_APPLICABLE:
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
