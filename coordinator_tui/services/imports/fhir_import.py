"""Importing FHIR R4 files (``fhir import FILE|DIR [--dry-run]``): the Bundles ``fhir export`` writes, and single
``Patient`` resources from another system, through the spreadsheet import's own plan and apply.

Each file is read by ``fhir_reader`` into the four tables the spreadsheet import reads (patients, professionals,
family contacts, care teams), then, file by file and in that order, each table is planned (``planning``: matched
by NHS number and date of birth, conflicts kept as the app has them, an NHS number registered with another date of
birth on the review list, never merged) and applied (``applying``: the forms' parsers, audit entries tagged with
the file's name and sha256, ``ImportedValues``, the new patients' checklists from the milestone rules) inside ONE
transaction for all the files. A later table sees the records an earlier one created, so a Bundle's contacts and
care team find its new patient and professionals. The contacts and care team of a patient on the review list are
not imported (they would land on the other patient). Any problem in any file, or a dry run, rolls the whole
transaction back: nothing is written.

The checklist is not imported (the app makes it from its rules and the patient's facts); each Task the file says
is completed is compared with the app's step of the same title, and where the app does not have it done a note
says so: the app's step is NOT changed (marking a step done records who did it, when and on what evidence, which
a file from elsewhere cannot say; the coordinator decides). Appointments are counted and not imported (clinics are
planned in the app). Resources the app has no place for are listed and ignored.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from coordinator_tui.models import Contact, ContactRelationship, Patient, TransitionItem, TransitionStatus
from coordinator_tui.services.imports.applying import apply_in_session
from coordinator_tui.services.imports.columns import ImportKind
from coordinator_tui.services.imports.fhir_reader import ORDER, FhirFile, fhir_paths, read_fhir_file
from coordinator_tui.services.imports.planning import Action, ImportPlan, plan_import, shown_value
from coordinator_tui.services.imports.reading import Table

if TYPE_CHECKING:
    from collections.abc import Collection

    from coordinator_tui.db import Database
    from coordinator_tui.services.transition.milestone_rules import MilestoneRules

_WHAT = {
    ImportKind.PATIENTS: "patients",
    ImportKind.PROFESSIONALS: "professionals",
    ImportKind.CONTACTS: "family contacts",
    ImportKind.CARE_TEAM: "care-team members",
}


@dataclass
class FhirImportReport:
    """What an import did (or, on a dry run or with problems, would have done): lines to print, and counts."""

    files: int
    dry_run: bool
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # "create", "update", "unchanged", "conflict", "review"
    written: bool = False

    def summary(self) -> str:
        c = self.counts
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        verb = "imported" if self.written else "checked"
        text = (
            f"{verb} {files}: {c['create']} created, {c['update']} updated, {c['unchanged']} unchanged, "
            f"{c['conflict']} with conflicts (not overwritten), {c['review']} to review (not imported)"
        )
        if self.problems:
            return f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} in {files}: nothing imported"
        if self.dry_run:
            return f"{text}; dry run: nothing written"
        return text


class _RollBack(Exception):
    """Raised at the end of the transaction to undo it (a dry run, or problems)."""


def import_fhir(database: Database, path: Path, *, dry_run: bool = False) -> FhirImportReport:
    """Read ``path`` (a JSON file, or a folder of them), plan and apply everything in one transaction, kept only
    when there is no problem and it is not a dry run. ``ImportFileError`` when a file cannot be read at all."""
    from coordinator_tui.services.people.professionals import file_disciplines
    from coordinator_tui.services.transition.checklists import rules_for_saving

    files = [read_fhir_file(p) for p in fhir_paths(Path(path))]
    report = FhirImportReport(files=len(files), dry_run=dry_run)
    for fhir_file in files:
        report.problems.extend(fhir_file.problems)
    loaded = rules_for_saving(database)
    if loaded.problem:
        report.lines.append(f"note: transition checklists not made: {loaded.problem}")
    disciplines = file_disciplines()
    try:
        database.write(_import, files, report, loaded.rules, disciplines)
    except _RollBack:
        report.written = False
    else:
        report.written = True
    return report


def _import(
    session: Session,
    files: list[FhirFile],
    report: FhirImportReport,
    rules: MilestoneRules | None,
    disciplines: Collection[str],
) -> None:
    for fhir_file in files:
        if not fhir_file.tables:  # not read at all (not JSON, not FHIR): its problem is already listed
            continue
        _import_file(session, fhir_file, report, rules, disciplines)
    if report.problems or report.dry_run:
        raise _RollBack


def _import_file(
    session: Session,
    fhir_file: FhirFile,
    report: FhirImportReport,
    rules: MilestoneRules | None,
    disciplines: Collection[str],
) -> None:
    name = fhir_file.file_name
    on_review: set[str] = set()
    failed: set[str] = set()
    for kind in ORDER:
        table = fhir_file.tables[kind]
        if kind in (ImportKind.CONTACTS, ImportKind.CARE_TEAM) and (on_review or failed):
            table = _without_patients(fhir_file, kind, table, on_review, failed, report)
        if kind is ImportKind.CONTACTS:
            table = _own_entries_as_named(session, table)
        if not table.rows:
            continue
        plan = plan_import(session, kind, table, disciplines=disciplines)
        _report_plan(fhir_file, kind, plan, report)
        if kind is ImportKind.PATIENTS:
            nhs_index = table.header.index("NHS number")
            by_row = dict(zip(table.row_numbers, table.rows, strict=True))
            on_review = {_digits(by_row[item.row][nhs_index]) for item in plan.review}
            # A patient with a problem is not created: their family and team are not checked against nobody.
            failed = {_digits(by_row[problem.row][nhs_index]) for problem in plan.problems}
        # The rows without problems are written (in this transaction) even when others have problems, so the
        # tables after this one are checked against them; any problem rolls everything back at the end.
        apply_in_session(session, dataclasses.replace(plan, problems=[]), rules)
    _compare_tasks(session, fhir_file, on_review, report)
    report.lines.extend(f"note: {name}, {note}" for note in fhir_file.notes)
    if fhir_file.appointments:
        count = fhir_file.appointments
        report.lines.append(
            f"{name}: {count} appointment{'s' if count != 1 else ''} not imported: clinics are planned in the app"
        )
    if fhir_file.ignored:
        kinds = ", ".join(f"{kind} ×{n}" for kind, n in sorted(fhir_file.ignored.items()))
        report.lines.append(f"{name}: ignored (the app has no place for them): {kinds}")


def _digits(cell: object) -> str:
    return "".join(str(cell).split())


def _without_patients(
    fhir_file: FhirFile,
    kind: ImportKind,
    table: Table,
    on_review: set[str],
    failed: set[str],
    report: FhirImportReport,
) -> Table:
    """``table`` without the rows of patients on the review list (each named in the report) or with a problem
    (already reported: the import fails)."""
    index = table.header.index("Patient NHS number")
    keep_rows, keep_numbers = [], []
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        nhs = _digits(row[index])
        if nhs in on_review:
            report.lines.append(
                f"not imported: {fhir_file.file_name}, {fhir_file.source(kind, number)}: its patient is on the "
                "review list"
            )
        elif nhs in failed:
            continue
        else:
            keep_rows.append(row)
            keep_numbers.append(number)
    return dataclasses.replace(table, rows=keep_rows, row_numbers=keep_numbers)


def _own_entries_as_named(session: Session, table: Table) -> Table:
    """The Patient's own telecom and address are the patient's own contact entry (relationship "self"), matched
    by the name the app gave that entry, not a second entry under the name the file spells."""
    header = table.header
    nhs_index, name_index, relation_index = (
        header.index("Patient NHS number"),
        header.index("Contact name"),
        header.index("Relationship"),
    )
    own_rows = [row for row in table.rows if row[relation_index] == ContactRelationship.SELF.value]
    if not own_rows:
        return table
    numbers = {_digits(row[nhs_index]) for row in own_rows}
    query = (
        select(Patient.nhs_number, Contact.name)
        .join(Contact, col(Contact.patient_id) == Patient.id)
        .where(col(Patient.nhs_number).in_(numbers), Contact.relationship == ContactRelationship.SELF)
        .order_by(col(Contact.id))
    )
    names: dict[str, str] = {}
    for nhs, name in session.exec(query).all():
        names.setdefault(nhs, name)
    rows = []
    for row in table.rows:
        nhs = _digits(row[nhs_index])
        if row[relation_index] == ContactRelationship.SELF.value and nhs in names:
            row = [*row[:name_index], names[nhs], *row[name_index + 1 :]]
        rows.append(row)
    return dataclasses.replace(table, rows=rows)


def _report_plan(fhir_file: FhirFile, kind: ImportKind, plan: ImportPlan, report: FhirImportReport) -> None:
    name = fhir_file.file_name
    for problem in plan.problems:
        report.problems.append(
            f"{name}: {fhir_file.source(kind, problem.row)}, {fhir_file.element(kind, problem.column)}: "
            f"{problem.reason}"
        )
    for item in plan.review:
        report.lines.append(f"to review: {name}, {fhir_file.source(kind, item.row)}: {item.reason}")
    for record in plan.conflicts:
        for conflict in record.conflicts:
            report.lines.append(
                f"conflict: {name}, {fhir_file.source(kind, record.row)}, {record.who}: "
                f"{conflict.field.replace('_', ' ')} is {shown_value(conflict.in_app)} in the app, "
                f"{shown_value(conflict.in_file)} in the file: not overwritten"
            )
    for record in plan.records:
        if record.action is not Action.CONFLICT:
            report.counts[record.action.value] += 1
        if record.conflicts:
            report.counts["conflict"] += 1
        if report.dry_run and record.action is not Action.CONFLICT:
            changed = (
                f" ({', '.join(k.replace('_', ' ') for k in record.values)})" if record.action is Action.UPDATE else ""
            )
            report.lines.append(
                f"{record.action.value}: {name}, {fhir_file.source(kind, record.row)}, {_WHAT[kind]}: "
                f"{record.who}{changed}"
            )
    report.counts["review"] += len(plan.review)


def _compare_tasks(session: Session, fhir_file: FhirFile, on_review: set[str], report: FhirImportReport) -> None:
    """A note for each Task completed in the file whose step the app does not have as done (never changed)."""
    for task in fhir_file.completed_tasks:
        if task.patient_nhs_number in on_review:
            continue
        patient = session.exec(select(Patient).where(Patient.nhs_number == task.patient_nhs_number)).first()
        if patient is None:
            continue
        items = session.exec(
            select(TransitionItem).where(TransitionItem.patient_id == patient.id, TransitionItem.title == task.title)
        ).all()
        if any(item.status is TransitionStatus.DONE for item in items):
            continue
        where = f"{fhir_file.file_name}, {task.source}"
        state = items[0].status.value.replace("_", " ") if items else "not a step of its checklist"
        report.lines.append(
            f"note: {where}: '{task.title}' is completed in the file, {state} in the app: not changed (mark it "
            "done in the app if it is)"
        )
