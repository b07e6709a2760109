"""Checklists still to make: new patients whose transition checklist is made just after they are saved.

A spreadsheet import of thousands saves its patients in one short transaction, then makes their checklists in
batches, each its own short unit of work, so that a colleague's save never waits long behind it (issue 21). Until
its batch is done such a patient has no checklist items. If the run stops (the process killed, the database busy),
the rest are made the next time the app starts (``make_missing_checklists``, part of its start-up work) or by
``service rules --regenerate``; a save of the patient makes theirs too. Every way is idempotent.

- ``make_checklists(database, rules, patient_ids, *, unsaved=None, audit_note="", ...)``: a batch at a time, the
  checklists of the patients ``unsaved`` holds (the import's patients as it built them) are worked out by the
  engine's own ``first_checklist`` with no lock held, then written in one short unit of work. That unit locks its
  patients' rows (PostgreSQL; SQLite's write lock already excludes every other writer), skips a patient who has items
  by now (their own save, or another run, made them), inserts the worked-out checklist of a patient still exactly
  as saved (version 1) with no closing to record, and brings anyone else's in line through
  ``engine.regenerate_patients`` (which records a closing as a save does). Between batches on SQLite the lock is
  left free for at least ``PAUSE_SECONDS``. ``ChecklistsMade.stopped`` says why a batch failed and how far it got.
- ``make_missing_checklists(database)``: every non-archived imported patient with no items whose rules give them
  some.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coordinator_tui.errors import DatabaseError
from coordinator_tui.models import ImportedValues, Patient, TransitionItem
from coordinator_tui.services.errors import ConcurrentEditError, NotFoundError
from coordinator_tui.services.imports.columns import ImportKind
from coordinator_tui.services.transition import engine
from coordinator_tui.services.transition.engine import FirstChecklist

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.services.transition.milestone_rules import MilestoneRules

#: Patients per unit of work: about 16,500 items and their audit entries, about a third of a second's lock.
BATCH_SIZE = 500
#: The least time the lock is left free between batches on SQLite: longer than the 100 ms between a waiting save's
#: tries (SQLite's busy handler), or the next batch takes the lock again first and a colleague's save waits for the
#: whole run. Working out the next batch's checklists usually takes longer than this anyway.
PAUSE_SECONDS = 0.12

#: Called with (patients done, patients to do) after each batch.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ChecklistsMade:
    """What a run did: ``done`` of ``total`` patients (their batches committed), and why it stopped ("" if it
    finished)."""

    total: int
    done: int
    stopped: str = ""

    def problem(self) -> str:
        """ "" when every checklist was made; otherwise what to tell the user."""
        if not self.stopped:
            return ""
        return (
            f"made for {self.done} of {self.total} patients, then stopped: {self.stopped}. The rest are made when "
            "the app next starts (or run: coordinator-tui service rules --regenerate --yes)"
        )


def make_checklists(
    database: Database,
    rules: MilestoneRules,
    patient_ids: Sequence[int],
    *,
    unsaved: Mapping[int, Patient] | None = None,
    audit_note: str = "",
    today: dt.date | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> ChecklistsMade:
    """Make these patients' checklists, a batch per unit of work (see the module notes). ``audit_note``: what the
    items' audit entries say they were imported from."""
    total, done, unsaved = len(patient_ids), 0, unsaved or {}
    batch_size = batch_size or BATCH_SIZE
    note = {"imported_from": audit_note} if audit_note else None
    pause = PAUSE_SECONDS if database.engine.dialect.name == "sqlite" else 0.0  # PostgreSQL queues saves fairly
    last_commit = 0.0
    for start in range(0, total, batch_size):
        batch = patient_ids[start : start + batch_size]
        first = {
            patient_id: engine.first_checklist(unsaved[patient_id], rules, today=today, audit_note=note)
            for patient_id in batch
            if patient_id in unsaved
        }
        time.sleep(max(0.0, last_commit + pause - time.monotonic()))  # a waiting save's turn, if working out was quick
        try:
            database.write(_make_batch, batch, rules, first, today)
        except (DatabaseError, ConcurrentEditError, NotFoundError) as exc:
            return ChecklistsMade(total, done, str(exc) or type(exc).__name__)
        last_commit = time.monotonic()
        done += len(batch)
        if progress is not None:
            progress(done, total)
    return ChecklistsMade(total, done)


def _make_batch(
    session: Session,
    patient_ids: Sequence[int],
    rules: MilestoneRules,
    first: Mapping[int, FirstChecklist],
    today: dt.date | None,
) -> None:
    locked = session.exec(
        select(Patient.id, Patient.version).where(col(Patient.id).in_(patient_ids)).with_for_update()
    ).all()
    with_items = set(_with_items(session, patient_ids))
    as_planned: list[tuple[int, FirstChecklist]] = []
    to_generate: list[int] = []
    for patient_id, version in locked:
        if patient_id is None or patient_id in with_items:
            continue
        checklist = first.get(patient_id)
        if checklist is not None and version == 1 and checklist.closing is None:
            as_planned.append((patient_id, checklist))
        else:
            to_generate.append(patient_id)
    engine.insert_first_checklists(session, as_planned)
    if to_generate:
        engine.regenerate_patients(session, to_generate, rules, today=today)


def _with_items(session: Session, patient_ids: Sequence[int]) -> Sequence[int]:
    query = select(TransitionItem.patient_id).where(col(TransitionItem.patient_id).in_(patient_ids)).distinct()
    return session.exec(query).all()


def imported_patients_without_items(session: Session, rules: MilestoneRules | None = None) -> list[int]:
    """Non-archived patients an import created (``ImportedValues``) with no checklist items at all, in id order;
    with ``rules``, not those registered at an age the rules give no checklist. Some others rightly have none too
    (closed with nothing left to do); patients saved any other way have theirs made in the same unit of work and are
    never looked at here."""
    has_items = sa.exists().where(col(TransitionItem.patient_id) == col(Patient.id))
    imported = sa.exists().where(
        col(ImportedValues.kind) == ImportKind.PATIENTS.value, col(ImportedValues.record_id) == col(Patient.id)
    )
    query = (
        select(Patient.id, Patient.date_of_birth, Patient.registered_on)
        .where(col(Patient.archived).is_(False), imported, ~has_items)
        .order_by(col(Patient.id))
    )
    return [
        patient_id
        for patient_id, born, registered in session.exec(query).all()
        if patient_id is not None
        and (rules is None or not engine.registered_past_checklist_age(born, registered or born, rules))
    ]


def make_missing_checklists(database: Database, *, batch_size: int | None = None) -> ChecklistsMade:
    """Make the checklists an interrupted import left unmade: every non-archived imported patient with no items whose
    rules give them some (worked out in read-only units of work first, so a start-up with nothing to make writes
    nothing). Rules that cannot be read make nothing (``stopped`` says why)."""
    from coordinator_tui.services.transition.checklists import rules_for_saving

    without_items = database.read(imported_patients_without_items)
    if not without_items:
        return ChecklistsMade(0, 0)
    loaded = rules_for_saving(database)
    if loaded.rules is None:
        return ChecklistsMade(len(without_items), 0, loaded.problem)
    rules = loaded.rules
    candidates = database.read(imported_patients_without_items, rules)
    to_make: list[int] = []
    batch_size = batch_size or BATCH_SIZE
    for start in range(0, len(candidates), batch_size):
        batch = candidates[start : start + batch_size]
        if database.read(_would_change, batch, rules):
            to_make.extend(batch)
    if not to_make:
        return ChecklistsMade(0, 0)
    return make_checklists(database, rules, to_make, batch_size=batch_size)


def _would_change(session: Session, patient_ids: Sequence[int], rules: MilestoneRules) -> bool:
    summary = engine.regenerate_patients(session, patient_ids, rules, dry_run=True)
    return summary.changed or summary.closed > 0
