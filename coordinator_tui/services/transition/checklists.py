"""What the screens show of the transition checklists, and the use cases that read and change them.

- ``checklist_for_patient(session, patient_id, *, today=None, rules=None) -> PatientChecklist``: the patient's
  items grouped by stage, in the rules' stage order (``rules.stages``; stages not listed after them, by earliest
  due date), each group in date order, with ``current_stage`` (the stage of the open item due first, which the
  tab brings into view), the checklist's closing, the planned-transfer warning and the rules' clinical sign-off
  (``rules_sign_off``); each row has ``flag`` (``DueFlag``) and
  ``label``, a word and a symbol: "⚠ OVERDUE", "● DUE", "○ UPCOMING", "✔ DONE", "– N/A", "✗ MISSED".
- ``caseload(session, today=None, owner_role=None, category=None, *, limit=None, closes_at_age=25 years) ->
  Caseload``: open items (to do / in progress) of non-archived patients that are overdue, due in the next 30
  days, or in days 31-90, with the patient on each row, ``counts`` per bucket (independent of ``limit``) and
  cumulative totals. A closed checklist (``patient.checklist_closed_on``) leaves the caseload, and so does anyone
  who has reached ``closes_at_age`` by ``today`` (before a regeneration closes their checklist); the one item that
  stays is "Transfer never recorded: check what happened" (``lifecycle.TRANSFER_CHECK_ID``), which outlives the
  checklist until someone deals with it. Two queries whatever the number of patients.

The use cases (functions of the ``Database``, each its own unit of work) are at the end: ``patient_checklist``,
``caseload_view``, ``set_item_status`` and ``set_item_note``. The engine that dates the items is
``services.transition.engine``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.models import Patient, TransitionItem, TransitionStatus
from coordinator_tui.services.transition import engine, lifecycle
from coordinator_tui.services.transition.engine import OPEN_STATUSES
from coordinator_tui.services.transition.milestone_rules import MilestoneRules, Period, RulesError

if TYPE_CHECKING:
    from coordinator_tui.db import Database


class DueFlag(StrEnum):
    OVERDUE = "overdue"
    DUE = "due"
    UPCOMING = "upcoming"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"
    MISSED = "missed"


# A word and a symbol for each, so the state never depends on colour alone.
FLAG_LABELS: dict[DueFlag, str] = {
    DueFlag.OVERDUE: "⚠ OVERDUE",
    DueFlag.DUE: "● DUE",
    DueFlag.UPCOMING: "○ UPCOMING",
    DueFlag.DONE: "✔ DONE",
    DueFlag.NOT_APPLICABLE: "– N/A",
    DueFlag.MISSED: "✗ MISSED",
}


def due_flag(item: TransitionItem, today: dt.date) -> DueFlag:
    """Overdue: open and past its due date. Due: open and shown (from ``appears_on``). Upcoming: not yet shown.
    Missed: could no longer be done (the checklist closed, the transfer happened, its time passed)."""
    if item.status == TransitionStatus.DONE:
        return DueFlag.DONE
    if item.status == TransitionStatus.NOT_APPLICABLE:
        return DueFlag.NOT_APPLICABLE
    if item.status == TransitionStatus.MISSED:
        return DueFlag.MISSED
    if item.due_date < today:
        return DueFlag.OVERDUE
    if item.appears_on <= today:
        return DueFlag.DUE
    return DueFlag.UPCOMING


@dataclass(frozen=True)
class ChecklistRow:
    item: TransitionItem
    flag: DueFlag

    @property
    def label(self) -> str:
        return FLAG_LABELS[self.flag]


@dataclass(frozen=True)
class StageGroup:
    stage: str
    rows: tuple[ChecklistRow, ...]


@dataclass(frozen=True)
class PatientChecklist:
    """A patient's checklist as the Transition tab shows it. ``closed_on`` / ``closed_reason``: the checklist closed
    (``patient.checklist_closed_on``); ``transfer_warning``: a planned transfer date that has passed ("" when none);
    ``sign_off``: the rules' clinical sign-off in words (``rules_sign_off``)."""

    patient_id: int
    today: dt.date
    groups: tuple[StageGroup, ...]
    counts: dict[DueFlag, int] = field(default_factory=dict)
    closed_on: dt.date | None = None
    closed_reason: str = ""
    transfer_warning: str = ""
    sign_off: str = ""

    @property
    def rows(self) -> list[ChecklistRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def first_open(self) -> ChecklistRow | None:
        """The open item (to do, in progress) due first: what to look at first."""
        open_rows = [row for row in self.rows if row.item.status in OPEN_STATUSES]
        return min(open_rows, key=lambda row: row.item.due_date) if open_rows else None

    @property
    def current_stage(self) -> str | None:
        """The stage the young person is in, for the tab to bring into view: the stage of the open item due first
        (None when nothing is open)."""
        first = self.first_open
        return (first.item.stage or OTHER_STAGE) if first is not None else None


OTHER_STAGE = "Other"
NOT_REVIEWED = "Rules not yet reviewed by the service's clinical lead"


def rules_sign_off(rules: MilestoneRules | None, problem: str = "") -> str:
    """The rules' clinical sign-off in words: "Rules reviewed by X on DD/MM/YYYY", or that they are not yet."""
    if rules is None:
        return f"Milestone rules could not be read: {problem}" if problem else NOT_REVIEWED
    if not rules.reviewed_by:
        return NOT_REVIEWED
    on = f" on {rules.reviewed_on:%d/%m/%Y}" if rules.reviewed_on is not None else ""
    return f"Rules reviewed by {rules.reviewed_by}{on}"


def checklist_for_patient(
    session: Session,
    patient_id: int,
    *,
    today: dt.date | None = None,
    rules: MilestoneRules | None = None,
    rules_problem: str = "",
) -> PatientChecklist:
    """Two queries: the patient, and their items grouped by stage, each group in date order. The groups follow
    ``rules.stages`` (a stage not listed comes after them, the groups of such stages in the order of their earliest
    due date); without ``rules``, every group is in the order of its earliest due date."""
    today = today or clock.today()
    patient = session.get(Patient, patient_id)
    items = session.exec(
        select(TransitionItem)
        .where(TransitionItem.patient_id == patient_id)
        .order_by(col(TransitionItem.due_date), col(TransitionItem.rule_id), col(TransitionItem.occurrence))
    ).all()
    grouped: dict[str, list[ChecklistRow]] = {}
    counts = dict.fromkeys(DueFlag, 0)
    for item in items:
        row = ChecklistRow(item, due_flag(item, today))
        counts[row.flag] += 1
        grouped.setdefault(item.stage or OTHER_STAGE, []).append(row)  # insertion order = earliest due date
    stages = list(grouped)
    if rules is not None:
        stages.sort(key=rules.stage_rank)  # stable: stages not listed keep their date order, after the listed ones
    return PatientChecklist(
        patient_id=patient_id,
        today=today,
        groups=tuple(StageGroup(stage, tuple(grouped[stage])) for stage in stages),
        counts=counts,
        closed_on=patient.checklist_closed_on if patient is not None else None,
        closed_reason=patient.checklist_closed_reason if patient is not None else "",
        transfer_warning=lifecycle.transfer_warning(patient, today) if patient is not None else "",
        sign_off=rules_sign_off(rules, rules_problem),
    )


class CaseloadBucket(StrEnum):
    OVERDUE = "overdue"
    NEXT_30 = "next_30"  # due today up to 30 days ahead
    NEXT_90 = "next_90"  # due 31 to 90 days ahead


BUCKET_LABELS: dict[CaseloadBucket, str] = {
    CaseloadBucket.OVERDUE: "⚠ OVERDUE",
    CaseloadBucket.NEXT_30: "● DUE within 30 days",
    CaseloadBucket.NEXT_90: "○ DUE in 31–90 days",
}


@dataclass(frozen=True)
class CaseloadRow:
    item: TransitionItem
    patient: Patient
    bucket: CaseloadBucket

    @property
    def label(self) -> str:
        return BUCKET_LABELS[self.bucket]


@dataclass(frozen=True)
class Caseload:
    today: dt.date
    owner_role: str | None
    category: str | None
    rows: tuple[CaseloadRow, ...]
    counts: dict[CaseloadBucket, int]

    @property
    def overdue(self) -> int:
        return self.counts[CaseloadBucket.OVERDUE]

    @property
    def due_within_30(self) -> int:
        return self.counts[CaseloadBucket.NEXT_30]

    @property
    def due_within_90(self) -> int:
        """Cumulative: due from today to 90 days ahead (includes the 30-day ones)."""
        return self.counts[CaseloadBucket.NEXT_30] + self.counts[CaseloadBucket.NEXT_90]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _bucket(due: dt.date, today: dt.date) -> CaseloadBucket:
    if due < today:
        return CaseloadBucket.OVERDUE
    if due <= today + dt.timedelta(days=30):
        return CaseloadBucket.NEXT_30
    return CaseloadBucket.NEXT_90


def _checklist_open_or_transfer_check(today: dt.date, closes_at_age: Period | None) -> sa.ColumnElement[bool]:
    """The patient's checklist is open (not closed, and as of ``today`` younger than the closing age, so a birthday
    takes them off before a regeneration runs), or the item is the transfer check, which outlives the checklist."""
    still_open = [col(Patient.checklist_closed_on).is_(None)]
    if closes_at_age is not None:
        still_open.append(col(Patient.date_of_birth) > lifecycle.latest_birth_date_aged(closes_at_age, today))
    return sa.or_(col(TransitionItem.rule_id) == lifecycle.TRANSFER_CHECK_ID, sa.and_(*still_open))


def caseload(
    session: Session,
    today: dt.date | None = None,
    owner_role: str | None = None,
    category: str | None = None,
    *,
    limit: int | None = None,
    closes_at_age: Period | None = lifecycle.DEFAULT_CLOSES_AT_AGE,
) -> Caseload:
    """Open items overdue or due within 90 days across all non-archived patients whose checklist is open (see the
    module notes)."""
    today = today or clock.today()
    day_30 = today + dt.timedelta(days=30)
    day_90 = today + dt.timedelta(days=90)
    conditions = [
        col(TransitionItem.status).in_(OPEN_STATUSES),
        col(TransitionItem.due_date) <= day_90,
        col(Patient.archived).is_(False),
        _checklist_open_or_transfer_check(today, closes_at_age),
    ]
    if owner_role:
        conditions.append(col(TransitionItem.owner_role) == owner_role)
    if category:
        conditions.append(col(TransitionItem.category) == category)

    bucket_expr = sa.case(
        (col(TransitionItem.due_date) < today, CaseloadBucket.OVERDUE.value),
        (col(TransitionItem.due_date) <= day_30, CaseloadBucket.NEXT_30.value),
        else_=CaseloadBucket.NEXT_90.value,
    )
    counts = dict.fromkeys(CaseloadBucket, 0)
    count_rows = session.exec(
        select(bucket_expr, sa.func.count())
        .select_from(TransitionItem)
        .join(Patient, col(Patient.id) == col(TransitionItem.patient_id))
        .where(*conditions)
        .group_by(bucket_expr)
    ).all()
    for bucket, number in count_rows:
        counts[CaseloadBucket(bucket)] = int(number)

    query = (
        select(TransitionItem, Patient)
        .join(Patient, col(Patient.id) == col(TransitionItem.patient_id))
        .where(*conditions)
        .order_by(
            col(TransitionItem.due_date), col(Patient.family_name), col(Patient.given_name), col(TransitionItem.id)
        )
    )
    if limit is not None:
        query = query.limit(limit)
    rows = tuple(CaseloadRow(item, patient, _bucket(item.due_date, today)) for item, patient in session.exec(query))
    return Caseload(today=today, owner_role=owner_role, category=category, rows=rows, counts=counts)


# ------------------------------------------------------------------------------------------------------------
# Use cases
# ------------------------------------------------------------------------------------------------------------


def patient_checklist(database: Database, patient_id: int, *, zone: str) -> PatientChecklist:
    """A patient's checklist as of today in the service's time ``zone`` (one read)."""
    return database.read(_checklist_with_rules, patient_id, clock.today(zone))


def _checklist_with_rules(session: Session, patient_id: int, today: dt.date) -> PatientChecklist:
    """The checklist with the service's rules in force, read in the same unit of work (for the stage order and the
    sign-off; rules that no longer load leave the groups in date order, and the sign-off says why)."""
    from coordinator_tui.services.service_details import read_service_details, rules_of

    try:
        rules, problem = rules_of(read_service_details(session)), ""
    except RulesError as exc:
        rules, problem = None, str(exc)
    return checklist_for_patient(session, patient_id, today=today, rules=rules, rules_problem=problem)


def caseload_view(
    database: Database,
    *,
    zone: str,
    owner_role: str | None = None,
    category: str | None = None,
    limit: int | None = None,
) -> Caseload:
    """The caseload as of today in the service's time ``zone``, filtered by owner role and category (one read)."""
    return database.read(caseload, clock.today(zone), owner_role=owner_role, category=category, limit=limit)


@dataclass(frozen=True)
class MilestoneRulesForSaving:
    """The service's milestone rules, read once for the saves of a checklist; ``problem`` says why they could not
    be read (the item is saved, the dates that follow from it are not updated)."""

    rules: MilestoneRules | None
    problem: str = ""


def rules_for_saving(database: Database) -> MilestoneRulesForSaving:
    """Read the milestone rules (the shipped ones with the service's own from the database layered on top) for
    re-dating after a save."""
    from coordinator_tui.services.service_details import service_rules

    try:
        return MilestoneRulesForSaving(service_rules(database))
    except RulesError as exc:
        return MilestoneRulesForSaving(None, str(exc))


@dataclass(frozen=True)
class SavedItem:
    """A checklist item as saved, and the rules used to re-date the items that follow from it (None: a save that
    re-dates nothing, a note)."""

    item: TransitionItem
    rules: MilestoneRulesForSaving | None


def set_item_status(
    database: Database,
    item_id: int,
    status: TransitionStatus | str,
    *,
    expected_version: int | None,
    rules: MilestoneRulesForSaving | None,
    reason: str = "",
    completed_on: dt.date | None = None,
) -> SavedItem:
    """Change an item's status (``engine.set_status``) in one unit of work, re-dating the items that follow.

    ``rules`` are the rules read for an earlier save (None: read them now from the database)."""
    rules = rules if rules is not None else rules_for_saving(database)
    item = database.write(
        engine.set_status,
        item_id,
        status,
        expected_version=expected_version,
        reason=reason,
        completed_on=completed_on,
        rules=rules.rules,
    )
    return SavedItem(item, rules)


def set_item_note(database: Database, item_id: int, note: str, *, expected_version: int | None) -> TransitionItem:
    """Replace an item's note in one unit of work (``engine.update_note``)."""
    return database.write(engine.update_note, item_id, note, expected_version=expected_version)
