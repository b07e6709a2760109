"""Applying an import's plan: one write transaction, all or nothing, holding the lock only for the writing.

Rows were validated by the forms' own parsers when the plan was made. Updates go through the same services as the
forms (``patients.update_patient``, ``contacts.update_contact``, ``professionals.update_professional``,
``care_team.update_member``), and so do new professionals and care-team members. New patients and contacts, the
thousands of a caseload, are worked out before the transaction begins (``NewRecord``: their columns and their audit
snapshots, encoded with the id left to fill in, ``audit.fill_ids``) and inserted in it in batches with one audit
entry each (as ``records.create_record`` writes it). Every audit entry the import writes is tagged
``imported_from`` with the file's name and the sha256 of its content. Patients updated get their checklists brought
up to date in the transaction, as a save from the patient form does; new patients get theirs just after it, in
short batches (``checklists_to_make``, by the engine's own ``first_checklist``), so colleagues' saves go through
meanwhile; the FHIR import, which applies several plans in one transaction (``apply_in_session``), makes them in
it. What each record's import set is remembered (``ImportedValues``). A record changed by someone else since the
plan was made refuses the whole import (``ConcurrentEditError``): nothing is written, and the import can be run
again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from coordinator_tui import clock
from coordinator_tui.models import AuditAction, AuditEvent, Contact, ImportedValues, Patient, patient_search_key
from coordinator_tui.services.imports.columns import ImportKind
from coordinator_tui.services.imports.planning import Action, ImportPlan, PlannedRecord
from coordinator_tui.services.people import care_team, contacts, patients, professionals
from coordinator_tui.services.safety import audit
from coordinator_tui.services.safety.bulk_rows import insert_in_order, insert_rows
from coordinator_tui.services.transition.checklists_to_make import make_checklists
from coordinator_tui.services.transition.engine import regenerate_patients

if TYPE_CHECKING:
    from coordinator_tui.db import Database
    from coordinator_tui.services.transition.milestone_rules import MilestoneRules

#: Called with (steps done, steps to do) as the import is applied.
Progress = Callable[[int, int], None]


class _Steps:
    """The import's progress: each new record worked out, each record written, each checklist made."""

    def __init__(self, plan: ImportPlan, rules: MilestoneRules | None, progress: Progress | None) -> None:
        to_write = _to_write(plan)
        saved = [r for r in to_write if r.action in (Action.CREATE, Action.UPDATE)]
        checklists = len(saved) if rules is not None and plan.kind is ImportKind.PATIENTS else 0
        self.total = len(_prepared(plan)) + len(to_write) + checklists
        self.done = 0
        self.progress = progress

    def advance(self, step: int) -> None:
        self.done += step
        if self.progress is not None:
            self.progress(self.done, self.total)


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
    """Write ``plan`` in one transaction, then make the new patients' checklists in short batches after it (see the
    module notes); ``ImportRefusedError`` if it has problems."""
    if not plan.can_apply:
        raise ImportRefusedError(f"{len(plan.problems)} problems in {plan.file_name}: nothing imported")
    from coordinator_tui.services.transition.checklists import rules_for_saving

    loaded = rules_for_saving(database) if plan.kind is ImportKind.PATIENTS else None
    rules = loaded.rules if loaded is not None else None
    steps = _Steps(plan, rules, progress)
    new_records = _prepare_new_records(plan, steps)  # before the write lock is taken: other saves barely wait
    new_patients = database.write(_apply, plan, rules, steps, new_records, checklists_after=True)
    problem = loaded.problem if loaded is not None else ""
    if rules is not None and new_patients:
        made_before = 0

        def advance(done: int, _total: int) -> None:
            nonlocal made_before
            steps.advance(done - made_before)
            made_before = done

        made = make_checklists(
            database, rules, list(new_patients), unsaved=new_patients, audit_note=_tag(plan), progress=advance
        )
        problem = made.problem()
    return ImportResult(
        created=len(plan.with_action(Action.CREATE)),
        updated=len(plan.with_action(Action.UPDATE)),
        unchanged=len(plan.with_action(Action.UNCHANGED)),
        conflicts=len(plan.conflicts),
        review=len(plan.review),
        checklist_problem=problem,
    )


def apply_in_session(
    session: Session, plan: ImportPlan, rules: MilestoneRules | None, progress: Progress | None = None
) -> None:
    """Write ``plan`` in the caller's unit of work (``fhir_import`` applies several plans in one transaction);
    ``ImportRefusedError`` if it has problems."""
    if not plan.can_apply:
        raise ImportRefusedError(f"{len(plan.problems)} problems in {plan.file_name}: nothing imported")
    steps = _Steps(plan, rules, progress)
    _apply(session, plan, rules, steps, _prepare_new_records(plan, steps))


def _apply(
    session: Session,
    plan: ImportPlan,
    rules: MilestoneRules | None,
    steps: _Steps,
    new_records: dict[int, NewRecord],
    *,
    checklists_after: bool = False,
) -> dict[int, Patient]:
    """Write the plan; ``checklists_after``: the new patients' checklists are left to make after the transaction
    (``checklists_to_make``), and the new patients are returned by id (as built, not attached to the session);
    else their checklists are made in it (and nothing is returned)."""
    tag = _tag(plan)

    def tag_audit_events(flushing: Session, _context: object, _instances: object) -> None:
        for item in flushing.new:
            if isinstance(item, AuditEvent) and item.action != "delete":
                after = json.loads(item.after or "{}")
                if "imported_from" not in after:
                    after["imported_from"] = tag
                    item.after = json.dumps(after, sort_keys=True, default=str)

    sa.event.listen(session, "before_flush", tag_audit_events)
    try:
        first = _write_records(session, plan, rules, steps, new_records, checklists_after)
        session.flush()
        return first
    finally:
        sa.event.remove(session, "before_flush", tag_audit_events)


def _tag(plan: ImportPlan) -> str:
    """What every audit entry of the import says it came from."""
    return f"{plan.file_name} (sha256 {plan.sha256})"


def _write_records(
    session: Session,
    plan: ImportPlan,
    rules: MilestoneRules | None,
    steps: _Steps,
    new_records: dict[int, NewRecord],
    checklists_after: bool,
) -> dict[int, Patient]:
    save = {
        ImportKind.PATIENTS: _save_patient,
        ImportKind.CONTACTS: _save_contact,
        ImportKind.PROFESSIONALS: _save_professional,
        ImportKind.CARE_TEAM: _save_member,
    }[plan.kind]
    to_write = _to_write(plan)
    remembered = _stored_memories(session, plan.kind, [r.record_id for r in to_write if r.record_id is not None])
    now = clock.now()
    touched_patients: list[int] = []  # updated: their checklists are regenerated
    memories: list[dict[str, Any]] = []
    new_ids: dict[int, int] = {}  # row -> id of the record created for it
    if new_records:
        model = Patient if plan.kind is ImportKind.PATIENTS else Contact
        creating = [r for r in to_write if r.row in new_records]
        for start in range(0, len(creating), BATCH_SIZE):
            chunk = creating[start : start + BATCH_SIZE]
            ids = _insert_new(session, model, [new_records[planned.row] for planned in chunk])
            new_ids.update({planned.row: record_id for planned, record_id in zip(chunk, ids, strict=True)})
            steps.advance(len(chunk))
    for planned in to_write:
        if planned.row in new_ids:
            record_id = new_ids[planned.row]
        elif planned.action is Action.CREATE or planned.action is Action.UPDATE:
            record_id = save(session, planned)
            if plan.kind is ImportKind.PATIENTS:
                touched_patients.append(record_id)
            steps.advance(1)
        else:
            assert planned.record_id is not None
            record_id = planned.record_id
            steps.advance(1)
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
            steps.advance(len(chunk_ids))
    new_patients = {new_ids[row]: new.patient for row, new in new_records.items() if new.patient is not None}
    if rules is None or not new_patients:
        return {}
    if checklists_after:
        return new_patients
    created = list(new_patients)
    for start in range(0, len(created), 500):
        regenerate_patients(session, created[start : start + 500], rules)
        steps.advance(len(created[start : start + 500]))
    return {}


def _to_write(plan: ImportPlan) -> list[PlannedRecord]:
    """The records the import writes: created, updated, or with what their import set to remember anew."""
    return [r for r in plan.records if r.action in (Action.CREATE, Action.UPDATE) or r.remember_changed]


def _prepared(plan: ImportPlan) -> list[PlannedRecord]:
    """The new records worked out before the write transaction (``NewRecord``): patients and contacts."""
    return plan.with_action(Action.CREATE) if plan.kind in (ImportKind.PATIENTS, ImportKind.CONTACTS) else []


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


@dataclass(frozen=True)
class NewRecord:
    """A record the import creates, worked out before the write transaction: its columns and its audit snapshot
    encoded with the id left null (``audit.fill_ids``); for a patient, the patient as built (whose first checklist
    ``checklists_to_make`` works out from it)."""

    values: dict[str, Any]
    snapshot: str
    patient: Patient | None = None


def _prepare_new_records(plan: ImportPlan, steps: _Steps) -> dict[int, NewRecord]:
    """The new patients or contacts, by row."""
    tag, today = _tag(plan), clock.today()
    contact_defaults, patient_defaults = _defaults(Contact), _defaults(Patient)
    prepared: dict[int, NewRecord] = {}
    to_prepare, reported = _prepared(plan), 0
    for count, planned in enumerate(to_prepare, start=1):
        patient = None
        if plan.kind is ImportKind.PATIENTS:  # every column, as Patient(...) would fill them, without building it
            values = {**patient_defaults, "registered_on": today, **planned.values}
            values["search_key"] = patient_search_key(
                values["given_name"], values["family_name"], values["hospital_number"]
            )
            patient = Patient.model_construct(**values)  # read by first_checklist, never saved
        else:  # the columns a Contact(...) would have, without building ten thousand models
            values = {**contact_defaults, "patient_id": planned.patient_id, **planned.values}
        snapshot = json.dumps({**audit.snapshot_of_values(values), "imported_from": tag}, sort_keys=True, default=str)
        del values["id"]
        prepared[planned.row] = NewRecord(values, snapshot, patient)
        if count % 250 == 0 or count == len(to_prepare):
            steps.advance(count - reported)
            reported = count
    return prepared


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The value of each column with a default (``id`` None) as a new ``model(...)`` would have it."""
    fields = model.model_fields.items()
    return {name: field.get_default(call_default_factory=True) for name, field in fields if not field.is_required()}


def _insert_new(session: Session, model: type[Patient] | type[Contact], records: list[NewRecord]) -> list[int]:
    """Insert ``records`` with one statement and write one audit entry for each, as ``records.create_record`` would
    (tagged with the import); their ids in order."""
    ids = insert_in_order(session, model.__table__, [record.values for record in records])  # type: ignore[attr-defined]
    audit_rows = [
        {
            "entity_id": str(record_id),
            "patient_id": record_id if model is Patient else record.values["patient_id"],
            "after": audit.fill_ids(record.snapshot, id=record_id),
        }
        for record_id, record in zip(ids, records, strict=True)
    ]
    same_for_all = {
        "at": clock.now(),
        "user": audit.current_user(session),
        "action": AuditAction.CREATE,
        "entity": audit.entity_name(model),
        "before": "{}",
    }
    insert_rows(session, AuditEvent.__table__, audit_rows, same_for_all)  # type: ignore[attr-defined]
    return ids
