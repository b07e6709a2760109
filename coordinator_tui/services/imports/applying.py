"""Applying an import's plan: one write transaction, all or nothing.

Rows were validated by the forms' own parsers when the plan was made. Updates go through the same services as the
forms (``patients.update_patient``, ``contacts.update_contact``, ``professionals.update_professional``,
``care_team.update_member``), and so do new professionals and care-team members; new patients and contacts, the
thousands of a caseload, are inserted in batches with one audit entry each (as ``records.create_record`` writes
it), the way the checklist engine inserts items. Every audit entry the import writes for its records is tagged
``imported_from`` with the file's name and the sha256 of its content. Patients created or updated get their
transition checklists from the service's milestone rules by the same engine as a save from the patient form. What
each record's import set is remembered (``ImportedValues``). A record changed by someone else since the plan was
made refuses the whole import (``ConcurrentEditError``): nothing is written, and the import can be run again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coordinator_tui import clock
from coordinator_tui.models import AuditAction, AuditEvent, Contact, ImportedValues, Patient, patient_search_key
from coordinator_tui.services.imports.columns import ImportKind
from coordinator_tui.services.imports.planning import Action, ImportPlan, PlannedRecord
from coordinator_tui.services.people import care_team, contacts, patients, professionals
from coordinator_tui.services.safety import audit
from coordinator_tui.services.transition.engine import regenerate_patients

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.services.transition.milestone_rules import MilestoneRules

#: Called with (records done, records to do) as the import is applied.
Progress = Callable[[int, int], None]


class ImportRefusedError(ValueError):
    """The plan has problems: nothing is applied."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    conflicts: int
    review: int
    checklist_problem: str = ""

    def summary(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.conflicts} with conflicts (not overwritten), {self.review} to review (not imported)"
        )
        if self.checklist_problem:
            text += f"; transition checklists not made: {self.checklist_problem}"
        return text


def apply_plan(database: Database, plan: ImportPlan, *, progress: Progress | None = None) -> ImportResult:
    """Write ``plan`` in one transaction (see the module notes); ``ImportRefusedError`` if it has problems."""
    if not plan.can_apply:
        raise ImportRefusedError(f"{len(plan.problems)} problems in {plan.file_name}: nothing imported")
    from coordinator_tui.services.transition.checklists import rules_for_saving

    loaded = rules_for_saving(database) if plan.kind is ImportKind.PATIENTS else None
    rules = loaded.rules if loaded is not None else None
    database.write(_apply, plan, rules, progress)
    return ImportResult(
        created=len(plan.with_action(Action.CREATE)),
        updated=len(plan.with_action(Action.UPDATE)),
        unchanged=len(plan.with_action(Action.UNCHANGED)),
        conflicts=len(plan.conflicts),
        review=len(plan.review),
        checklist_problem=loaded.problem if loaded is not None else "",
    )


def apply_in_session(
    session: Session, plan: ImportPlan, rules: MilestoneRules | None, progress: Progress | None = None
) -> None:
    """Write ``plan`` in the caller's unit of work (``fhir_import`` applies several plans in one transaction);
    ``ImportRefusedError`` if it has problems."""
    if not plan.can_apply:
        raise ImportRefusedError(f"{len(plan.problems)} problems in {plan.file_name}: nothing imported")
    _apply(session, plan, rules, progress)


def _apply(session: Session, plan: ImportPlan, rules: MilestoneRules | None, progress: Progress | None) -> None:
    tag = f"{plan.file_name} (sha256 {plan.sha256})"

    def tag_audit_events(flushing: Session, _context: object, _instances: object) -> None:
        for item in flushing.new:
            if isinstance(item, AuditEvent) and item.action != "delete":
                after = json.loads(item.after or "{}")
                if "imported_from" not in after:
                    after["imported_from"] = tag
                    item.after = json.dumps(after, sort_keys=True, default=str)

    sa.event.listen(session, "before_flush", tag_audit_events)
    try:
        _write_records(session, plan, rules, progress)
        session.flush()
    finally:
        sa.event.remove(session, "before_flush", tag_audit_events)


def _write_records(session: Session, plan: ImportPlan, rules: MilestoneRules | None, progress: Progress | None) -> None:
    save = {
        ImportKind.PATIENTS: _save_patient,
        ImportKind.CONTACTS: _save_contact,
        ImportKind.PROFESSIONALS: _save_professional,
        ImportKind.CARE_TEAM: _save_member,
    }[plan.kind]
    to_write = [r for r in plan.records if r.action in (Action.CREATE, Action.UPDATE) or r.remember_changed]
    remembered = _stored_memories(session, plan.kind, [r.record_id for r in to_write if r.record_id is not None])
    now = clock.now()
    touched_patients: list[int] = []
    memories: list[dict[str, Any]] = []
    batch = _BATCHED.get(plan.kind)
    new_ids: dict[int, int] = {}  # row -> id of the record created for it
    saved = [r for r in to_write if r.action in (Action.CREATE, Action.UPDATE)]
    # Progress counts records written, then (for patients) the checklists made.
    total = len(to_write) + (len(saved) if rules is not None and plan.kind is ImportKind.PATIENTS else 0)
    done = 0

    def report(step: int) -> None:
        nonlocal done
        done += step
        if progress is not None:
            progress(done, total)

    if batch is not None:
        creating = [r for r in to_write if r.action is Action.CREATE]
        for start in range(0, len(creating), BATCH_SIZE):
            chunk = creating[start : start + BATCH_SIZE]
            ids = batch(session, chunk, f"{plan.file_name} (sha256 {plan.sha256})")
            new_ids.update({planned.row: record_id for planned, record_id in zip(chunk, ids, strict=True)})
            report(len(chunk))
    for planned in to_write:
        if planned.row in new_ids:
            record_id = new_ids[planned.row]
            if plan.kind is ImportKind.PATIENTS:
                touched_patients.append(record_id)
        elif planned.action is Action.CREATE or planned.action is Action.UPDATE:
            record_id = save(session, planned)
            if plan.kind is ImportKind.PATIENTS:
                touched_patients.append(record_id)
            report(1)
        else:
            assert planned.record_id is not None
            record_id = planned.record_id
            report(1)
        memory = remembered.get(record_id)
        text = json.dumps(planned.remembered, sort_keys=True, default=str)
        if memory is None:
            memories.append(
                {
                    "kind": plan.kind.value,
                    "record_id": record_id,
                    "imported": text,
                    "file_name": plan.file_name[:255],
                    "sha256": plan.sha256,
                    "imported_at": now,
                }
            )
        else:
            memory.imported, memory.file_name = text, plan.file_name[:255]
            memory.sha256, memory.imported_at = plan.sha256, now
            session.add(memory)
    created = [m["record_id"] for m in memories]
    for start in range(0, len(created), 900):  # a new record can have a deleted one's id (SQLite reuses the last)
        session.execute(
            sa.delete(ImportedValues).where(
                col(ImportedValues.kind) == plan.kind.value,
                col(ImportedValues.record_id).in_(created[start : start + 900]),
            )
        )
    if memories:
        session.execute(sa.insert(ImportedValues.__table__), memories)  # type: ignore[attr-defined]
    if rules is not None:
        for start in range(0, len(touched_patients), 500):
            chunk_ids = touched_patients[start : start + 500]
            regenerate_patients(session, chunk_ids, rules)
            report(len(chunk_ids))


def _stored_memories(session: Session, kind: ImportKind, record_ids: list[int]) -> dict[int, ImportedValues]:
    found: dict[int, ImportedValues] = {}
    for start in range(0, len(record_ids), 900):
        chunk = record_ids[start : start + 900]
        query = select(ImportedValues).where(
            ImportedValues.kind == kind.value, col(ImportedValues.record_id).in_(chunk)
        )
        found.update({memory.record_id: memory for memory in session.exec(query).all()})
    return found


def _id(record: Any) -> int:
    assert record.id is not None
    return int(record.id)


def _save_patient(session: Session, planned: PlannedRecord) -> int:
    """An update (new patients are inserted in batches)."""
    assert planned.action is Action.UPDATE and planned.record_id is not None
    return _id(patients.update_patient(session, planned.record_id, planned.values, expected_version=planned.version))


def _save_contact(session: Session, planned: PlannedRecord) -> int:
    """An update (new contacts are inserted in batches)."""
    assert planned.action is Action.UPDATE and planned.record_id is not None
    return _id(contacts.update_contact(session, planned.record_id, planned.values, expected_version=planned.version))


def _save_professional(session: Session, planned: PlannedRecord) -> int:
    if planned.action is Action.CREATE:
        return _id(professionals.create_professional(session, planned.values))
    assert planned.record_id is not None
    return _id(
        professionals.update_professional(session, planned.record_id, planned.values, expected_version=planned.version)
    )


def _save_member(session: Session, planned: PlannedRecord) -> int:
    if planned.action is Action.CREATE:
        assert planned.patient_id is not None and planned.professional_id is not None
        return _id(care_team.add_member(session, planned.patient_id, planned.professional_id, planned.values))
    assert planned.record_id is not None
    return _id(care_team.update_member(session, planned.record_id, planned.values, expected_version=planned.version))


#: New records inserted per statement.
BATCH_SIZE = 1000


def _insert_audited(session: Session, model: type[Any], records: list[Any], tag: str) -> list[int]:
    """Insert ``records`` (unsaved model objects) in one statement and write one audit entry for each, as
    ``records.create_record`` would, tagged with the import; their ids in order."""
    table = model.__table__
    rows = [{k: v for k, v in record.model_dump().items() if k != "id"} for record in records]
    statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = [int(row[0]) for row in session.execute(statement, rows)]
    at, user, entity = clock.now(), audit.current_user(session), audit.entity_name(model)
    audit_rows = []
    for record_id, record in zip(ids, records, strict=True):
        record.id = record_id
        after = {**audit.snapshot(record), "imported_from": tag}
        patient_id = record_id if model is Patient else getattr(record, "patient_id", None)
        audit_rows.append(
            {
                "at": at,
                "user": user,
                "action": AuditAction.CREATE,
                "entity": entity,
                "entity_id": str(record_id),
                "patient_id": patient_id,
                "before": "{}",
                "after": json.dumps(after, sort_keys=True, default=str),
            }
        )
    session.execute(sa.insert(AuditEvent), audit_rows)
    return ids


def _create_patients(session: Session, chunk: list[PlannedRecord], tag: str) -> list[int]:
    today = clock.today()
    new = []
    for planned in chunk:
        patient = Patient(**{"registered_on": today, **planned.values})
        patient.search_key = patient_search_key(patient.given_name, patient.family_name, patient.hospital_number)
        new.append(patient)
    return _insert_audited(session, Patient, new, tag)


def _create_contacts(session: Session, chunk: list[PlannedRecord], tag: str) -> list[int]:
    return _insert_audited(
        session, Contact, [Contact(patient_id=planned.patient_id, **planned.values) for planned in chunk], tag
    )


_BATCHED: dict[ImportKind, Callable[[Session, list[PlannedRecord], str], list[int]]] = {
    ImportKind.PATIENTS: _create_patients,
    ImportKind.CONTACTS: _create_contacts,
}
