"""An import's plan: every row matched with what the database holds, before anything is written.

Each row becomes a record to create, to update (the fields the file changed), left alone (unchanged), in
conflict (a field the app changed since the record's last import, or one the app holds differently and no import
set: reported, never overwritten), or goes to the review list (a patient matched by hospital number only, or an
NHS number registered with another date of birth: never merged). Problems (row, column, reason) are all reported;
a plan with any problem is not applied.

Matching: patients by NHS number and date of birth; professionals by email, else given name, family name and
discipline; contacts by their patient (NHS number) and name; care-team rows by their patient and professional.
Everything a plan needs is read in a few bulk queries.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import Session, col, select

from coordinator_tui.models import (
    CareTeamMember,
    CareTeamStatus,
    Contact,
    ImportedValues,
    Patient,
    Professional,
)
from coordinator_tui.services.imports.columns import ImportKind, match_header
from coordinator_tui.services.imports.reading import Table, read_table
from coordinator_tui.services.imports.rows import ParsedRow, RowProblem, parse_rows
from coordinator_tui.services.people.professionals import PROFESSIONAL_FIELDS
from coordinator_tui.text_fold import fold
from coordinator_tui.validation import format_nhs_number, format_uk_date

if TYPE_CHECKING:
    from coordinator_tui.db import Database


#: A record kept per patient (a contact, a care-team member).
RecordT = TypeVar("RecordT", Contact, CareTeamMember)


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Conflict:
    """A field the file would change that the app changed since the record's last import (or that no import
    set): kept as the app has it."""

    field: str
    in_app: Any
    in_file: Any


@dataclass
class PlannedRecord:
    row: int
    action: Action
    who: str  # the record in a few words, for the summary
    values: dict[str, Any]  # create: every value; update: the changes only
    remembered: dict[str, Any]  # what the import is to remember having set (JSON-ready)
    record_id: int | None = None
    version: int | None = None
    patient_id: int | None = None
    professional_id: int | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    remember_changed: bool = True  # the remembered values differ from what was stored


@dataclass(frozen=True)
class ReviewItem:
    row: int
    reason: str


@dataclass
class ImportPlan:
    kind: ImportKind
    file_name: str
    sha256: str
    records: list[PlannedRecord]
    review: list[ReviewItem]
    problems: list[RowProblem]
    unknown_columns: list[str]
    rows: int

    def with_action(self, action: Action) -> list[PlannedRecord]:
        return [r for r in self.records if r.action is action]

    @property
    def conflicts(self) -> list[PlannedRecord]:
        return [r for r in self.records if r.conflicts]

    @property
    def can_apply(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """'3 to create, 1 to update, 5 unchanged, 1 with conflicts, 0 to review, 0 problems'."""
        counts = [
            f"{len(self.with_action(Action.CREATE))} to create",
            f"{len(self.with_action(Action.UPDATE))} to update",
            f"{len(self.with_action(Action.UNCHANGED))} unchanged",
            f"{len(self.conflicts)} with conflicts",
            f"{len(self.review)} to review",
            f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}",
        ]
        rows = f"{self.rows} row{'s' if self.rows != 1 else ''}"
        return f"{self.file_name}: {rows}; " + ", ".join(counts)


def jsonable(value: Any) -> Any:
    """A value as remembered and compared: dates in ISO form, choices by their value."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def plan_import(
    session: Session,
    kind: ImportKind,
    table: Table,
    *,
    disciplines: Collection[str],
) -> ImportPlan:
    """Match every row of ``table`` (read in ``session``; nothing written). Raises ``MissingColumnsError``."""
    header = match_header(kind, table.header)
    parsed, problems = parse_rows(kind, table, header, disciplines=disciplines)
    plan = ImportPlan(kind, table.file_name, table.sha256, [], [], problems, header.unknown, len(table.rows))
    remembered = _remembered(session, kind)
    planner = {
        ImportKind.PATIENTS: _plan_patients,
        ImportKind.CONTACTS: _plan_contacts,
        ImportKind.PROFESSIONALS: _plan_professionals,
        ImportKind.CARE_TEAM: _plan_care_team,
    }[kind]
    planner(session, plan, parsed, remembered, table, header.fields)
    plan.problems.sort(key=lambda p: p.row)
    plan.review.sort(key=lambda r: r.row)
    return plan


def read_and_plan(
    session: Session, kind: ImportKind, path: Path, *, sheet: str | None, disciplines: Collection[str]
) -> ImportPlan:
    return plan_import(session, kind, read_table(path, sheet=sheet), disciplines=disciplines)


def _remembered(session: Session, kind: ImportKind) -> dict[int, dict[str, Any]]:
    rows = session.exec(
        select(ImportedValues.record_id, ImportedValues.imported).where(ImportedValues.kind == kind.value)
    ).all()
    return {record_id: json.loads(text or "{}") for record_id, text in rows}


def _compare(
    plan: ImportPlan,
    row: ParsedRow,
    who: str,
    record: Any,
    file_values: Mapping[str, Any],
    last: Mapping[str, Any] | None,
) -> PlannedRecord:
    """What the file changes in ``record``: a field is updated where the record still holds what the last import
    set (or is blank and no import set it), a conflict where it does not (the app changed it since, or it holds a
    value no import set); equal values are left alone."""
    if last is not None and last.get(IDENTITY) != identity(plan.kind, record):
        last = None  # remembered for another record (SQLite reuses the id of a record deleted since): not this one's
    changes: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    remembered = dict(last or {})
    for name, value in file_values.items():
        in_file, in_app = jsonable(value), jsonable(getattr(record, name))
        if in_file == in_app:
            remembered[name] = in_file
        elif (last is not None and name in last and last[name] == in_app) or (
            in_app in (None, "") and (last is None or name not in last)
        ):  # the app still holds what the last import set, or a blank no import set: nothing of the app's is lost
            changes[name] = value
            remembered[name] = in_file
        else:
            conflicts.append(Conflict(name, in_app, in_file))
    remembered[IDENTITY] = identity(plan.kind, _Merged(record, changes))
    action = Action.UPDATE if changes else Action.CONFLICT if conflicts else Action.UNCHANGED
    planned = PlannedRecord(
        row.row,
        action,
        who,
        changes,
        remembered,
        record_id=record.id,
        version=getattr(record, "version", None),
        conflicts=conflicts,
        remember_changed=remembered != (last or {}),
    )
    plan.records.append(planned)
    return planned


def _created(plan: ImportPlan, row: ParsedRow, who: str, values: dict[str, Any], **ids: int | None) -> PlannedRecord:
    remembered = {name: jsonable(values[name]) for name in row.fields if name in values}
    remembered[IDENTITY] = identity(plan.kind, _Merged(None, {**values, **ids}))
    planned = PlannedRecord(row.row, Action.CREATE, who, values, remembered, **ids)  # type: ignore[arg-type]
    plan.records.append(planned)
    return planned


#: The key of the remembered values under which the record's identity is kept (see ``identity``).
IDENTITY = "_identity"


class _Merged:
    """A record's attributes with ``changes`` over them (or the values of a record not yet created)."""

    def __init__(self, record: Any, changes: Mapping[str, Any]) -> None:
        self.record, self.changes = record, changes

    def __getattr__(self, name: str) -> Any:
        if name in self.changes:
            return self.changes[name]
        return getattr(self.record, name)


def identity(kind: ImportKind, record: Any) -> str:
    """Who a remembered record is (its NHS number; its patient and name; its name and discipline; its patient and
    professional): remembered values whose identity is not the record's are another record's, and ignored, so a
    difference is a conflict rather than an update."""
    if kind is ImportKind.PATIENTS:
        return str(record.nhs_number)
    if kind is ImportKind.CONTACTS:
        return f"{record.patient_id}:{fold(record.name)}"
    if kind is ImportKind.PROFESSIONALS:
        return f"{fold(record.given_name)}:{fold(record.family_name)}:{record.discipline}"
    return f"{record.patient_id}:{record.professional_id}"


def _file_values(row: ParsedRow, names: Iterable[str]) -> dict[str, Any]:
    return {name: row.values[name] for name in names if name in row.fields and name in row.values}


def _first_seen(plan: ImportPlan, seen: dict[Any, int], key: Any, row: ParsedRow, column: str, what: str) -> bool:
    """True the first time ``key`` is met in the file; a repeat is a problem naming the row it repeats."""
    if key in seen:
        plan.problems.append(RowProblem(row.row, column, f"{what} as row {seen[key]}; each appears once"))
        return False
    seen[key] = row.row
    return True


# ------------------------------------------------------------------------------------------------------------
# Patients
# ------------------------------------------------------------------------------------------------------------

PATIENT_FIELDS = tuple(name for name in Patient.model_fields if name not in {"id", "version", "search_key"})


def _patient_who(values: Mapping[str, Any]) -> str:
    return f"{values['given_name']} {values['family_name']} (NHS {format_nhs_number(values['nhs_number'])})"


def _plan_patients(
    session: Session,
    plan: ImportPlan,
    parsed: list[ParsedRow],
    remembered: dict[int, dict[str, Any]],
    table: Table,
    columns: Mapping[str, int],
) -> None:
    patients = session.exec(select(Patient)).all()
    by_nhs = {p.nhs_number: p for p in patients}
    by_hospital: dict[str, Patient] = {}
    for patient in patients:
        by_hospital.setdefault(patient.hospital_number.casefold(), patient)
    _review_blank_nhs(plan, table, columns, by_hospital)
    seen: dict[Any, int] = {}
    nhs_column = _header(table, columns, "nhs_number")
    for row in parsed:
        values = row.values
        if not _first_seen(plan, seen, values["nhs_number"], row, nhs_column, "the same NHS number"):
            continue
        existing = by_nhs.get(values["nhs_number"])
        if existing is not None and existing.date_of_birth != values["date_of_birth"]:
            plan.review.append(
                ReviewItem(
                    row.row,
                    f"NHS number {format_nhs_number(values['nhs_number'])} is registered to patient "
                    f"#{existing.id} with date of birth {format_uk_date(existing.date_of_birth)}, not "
                    f"{format_uk_date(values['date_of_birth'])}: check which is right; not merged",
                )
            )
        elif existing is not None:
            file_values = _file_values(row, PATIENT_FIELDS)
            _compare(plan, row, _patient_who(values), existing, file_values, remembered.get(existing.id))  # type: ignore[arg-type]
        elif (other := by_hospital.get(values["hospital_number"].casefold())) is not None:
            plan.review.append(
                ReviewItem(
                    row.row,
                    f"hospital number {values['hospital_number']} belongs to patient #{other.id} (NHS "
                    f"{format_nhs_number(other.nhs_number)}), not to NHS number "
                    f"{format_nhs_number(values['nhs_number'])}: check which is right; not merged",
                )
            )
        else:
            _created(plan, row, _patient_who(values), values)


def _header(table: Table, columns: Mapping[str, int], name: str) -> str:
    return table.header[columns[name]] if name in columns else name.replace("_", " ")


def _review_blank_nhs(
    plan: ImportPlan, table: Table, columns: Mapping[str, int], by_hospital: Mapping[str, Patient]
) -> None:
    """A row with no NHS number whose hospital number is a registered patient's goes to the review list (matched
    by hospital number alone: never merged) instead of being only a problem."""
    nhs_column = _header(table, columns, "nhs_number")
    hospital_index = columns["hospital_number"]
    for number, cells in zip(table.row_numbers, table.rows, strict=True):
        nhs_cell, hospital = cells[columns["nhs_number"]], cells[hospital_index]
        if isinstance(nhs_cell, str) and not nhs_cell.strip() and isinstance(hospital, str):
            other = by_hospital.get(hospital.strip().casefold())
            if other is not None and hospital.strip():
                plan.problems[:] = [p for p in plan.problems if not (p.row == number and p.column == nhs_column)]
                plan.review.append(
                    ReviewItem(
                        number,
                        f"no NHS number; hospital number {hospital.strip()} belongs to patient #{other.id}: "
                        "matched by hospital number alone, so not merged (add the NHS number)",
                    )
                )


def _patients_by_nhs(session: Session, numbers: Collection[str]) -> dict[str, Patient]:
    found: dict[str, Patient] = {}
    wanted = sorted(set(numbers))
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for patient in session.exec(select(Patient).where(col(Patient.nhs_number).in_(chunk))).all():
            found[patient.nhs_number] = patient
    return found


def _of_patients(
    session: Session, model: type[RecordT], patients: Mapping[str, Patient], *conditions: Any
) -> list[RecordT]:
    """The ``model`` rows (contacts, care-team members) of these patients meeting ``conditions``, a chunk of
    patients per query."""
    patient_ids = sorted(p.id for p in patients.values() if p.id is not None)
    found: list[RecordT] = []
    for start in range(0, len(patient_ids), 900):
        query = select(model).where(col(model.patient_id).in_(patient_ids[start : start + 900]), *conditions)  # type: ignore[attr-defined]
        found.extend(session.exec(query).all())
    return found


def _no_patient(plan: ImportPlan, row: ParsedRow, table: Table, columns: Mapping[str, int]) -> None:
    plan.problems.append(
        RowProblem(
            row.row,
            _header(table, columns, "patient_nhs_number"),
            f"no patient has NHS number {format_nhs_number(row.values['patient_nhs_number'])} (import the patients "
            "first)",
        )
    )


# ------------------------------------------------------------------------------------------------------------
# Contacts
# ------------------------------------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "relationship", "phone", "email", "address", "preferred_method", "receives_itinerary")


def _plan_contacts(
    session: Session,
    plan: ImportPlan,
    parsed: list[ParsedRow],
    remembered: dict[int, dict[str, Any]],
    table: Table,
    columns: Mapping[str, int],
) -> None:
    patients = _patients_by_nhs(session, [r.values["patient_nhs_number"] for r in parsed])
    existing: dict[tuple[int, str], Contact] = {}
    for contact in _of_patients(session, Contact, patients):
        existing.setdefault((contact.patient_id, fold(contact.name)), contact)
    seen: dict[Any, int] = {}
    for row in parsed:
        patient = patients.get(row.values["patient_nhs_number"])
        if patient is None:
            _no_patient(plan, row, table, columns)
            continue
        values = {k: v for k, v in row.values.items() if k != "patient_nhs_number"}
        key = (patient.id, fold(values["name"]))
        if not _first_seen(plan, seen, key, row, _header(table, columns, "name"), "the same patient and contact"):
            continue
        who = f"{values['name']} for {patient.given_name} {patient.family_name}"
        contact = existing.get(key)  # type: ignore[arg-type]
        if contact is None:
            _created(plan, row, who, values, patient_id=patient.id)
        else:
            planned = _compare(plan, row, who, contact, _file_values(row, CONTACT_FIELDS), remembered.get(contact.id))  # type: ignore[arg-type]
            planned.patient_id = patient.id


# ------------------------------------------------------------------------------------------------------------
# Professionals
# ------------------------------------------------------------------------------------------------------------


def _name_key(given: str, family: str, discipline: str) -> tuple[str, str, str]:
    return (given.casefold(), family.casefold(), discipline.casefold())


def _plan_professionals(
    session: Session,
    plan: ImportPlan,
    parsed: list[ParsedRow],
    remembered: dict[int, dict[str, Any]],
    table: Table,
    columns: Mapping[str, int],
) -> None:
    by_email, by_name = _professional_index(session)
    seen: dict[Any, int] = {}
    for row in parsed:
        values = row.values
        email = (values.get("email") or "").casefold()
        name = _name_key(values["given_name"], values["family_name"], values["discipline"])
        key = ("email", email) if email else ("name", name)
        column = _header(table, columns, "email" if email else "family_name")
        if not _first_seen(plan, seen, key, row, column, "the same professional"):
            continue
        existing = by_email.get(email) if email else None
        existing = existing or by_name.get(name)
        who = f"{values['given_name']} {values['family_name']} ({values['discipline']})"
        if existing is None:
            _created(plan, row, who, values)
        else:
            _compare(plan, row, who, existing, _file_values(row, PROFESSIONAL_FIELDS), remembered.get(existing.id))  # type: ignore[arg-type]


def _professional_index(
    session: Session,
) -> tuple[dict[str, Professional], dict[tuple[str, str, str], Professional]]:
    by_email: dict[str, Professional] = {}
    by_name: dict[tuple[str, str, str], Professional] = {}
    for professional in session.exec(select(Professional).order_by(col(Professional.archived), Professional.id)).all():
        if professional.email:
            by_email.setdefault(professional.email.casefold(), professional)
        by_name.setdefault(
            _name_key(professional.given_name, professional.family_name, professional.discipline), professional
        )
    return by_email, by_name


# ------------------------------------------------------------------------------------------------------------
# Care teams
# ------------------------------------------------------------------------------------------------------------

MEMBER_FIELDS = ("role", "start_date", "end_date", "is_named_worker")


def _plan_care_team(
    session: Session,
    plan: ImportPlan,
    parsed: list[ParsedRow],
    remembered: dict[int, dict[str, Any]],
    table: Table,
    columns: Mapping[str, int],
) -> None:
    patients = _patients_by_nhs(session, [r.values["patient_nhs_number"] for r in parsed])
    by_email, by_name = _professional_index(session)
    members: dict[tuple[int, int], CareTeamMember] = {}
    active = CareTeamMember.status == CareTeamStatus.ACTIVE
    for member in _of_patients(session, CareTeamMember, patients, active):
        members[(member.patient_id, member.professional_id)] = member
    seen: dict[Any, int] = {}
    named: dict[int, int] = {}
    for row in parsed:
        values = row.values
        patient = patients.get(values["patient_nhs_number"])
        if patient is None:
            _no_patient(plan, row, table, columns)
            continue
        email = values.get("professional_email", "")
        if email:
            professional = by_email.get(email)
            column, missing = _header(table, columns, "professional_email"), f"no professional has email {email}"
        else:
            key = _name_key(values["professional_given_name"], values["professional_family_name"], values["discipline"])
            professional = by_name.get(key)
            column = _header(table, columns, "professional_family_name")
            missing = (
                f"no {values['discipline']} professional is called {values['professional_given_name']} "
                f"{values['professional_family_name']}"
            )
        if professional is None:
            plan.problems.append(RowProblem(row.row, column, f"{missing} (import the professionals first)"))
            continue
        if professional.archived:
            plan.problems.append(RowProblem(row.row, column, f"{professional.display_name} is archived"))
            continue
        assert patient.id is not None and professional.id is not None
        if not _first_seen(plan, seen, (patient.id, professional.id), row, column, "the same patient and professional"):
            continue
        if values.get("is_named_worker") and "is_named_worker" in row.fields:
            named_column = _header(table, columns, "is_named_worker")
            if not _first_seen(plan, named, patient.id, row, named_column, "a named worker for the same patient"):
                continue
        who = f"{professional.display_name} in the care team of {patient.given_name} {patient.family_name}"
        file_values = {k: v for k, v in values.items() if k in MEMBER_FIELDS}
        member = members.get((patient.id, professional.id))
        if member is None:
            _created(plan, row, who, file_values, patient_id=patient.id, professional_id=professional.id)
        else:
            planned = _compare(plan, row, who, member, _file_values(row, MEMBER_FIELDS), remembered.get(member.id))  # type: ignore[arg-type]
            planned.patient_id = patient.id


def plan_file(database: Database, kind: ImportKind, path: Path, *, sheet: str | None = None) -> ImportPlan:
    """Read ``path`` and make its plan in one read (nothing written): the dry run, and the first half of an
    import. Raises ``ImportFileError`` or ``MissingColumnsError`` (one line each)."""
    from coordinator_tui.services.people.professionals import file_disciplines

    table = read_table(path, sheet=sheet)
    disciplines = file_disciplines()
    return database.read(plan_import, kind, table, disciplines=disciplines)


def shown_value(value: Any) -> str:
    """A value as a conflict line shows it: 'text', yes/no, or blank."""
    if value is None or value == "":
        return "blank"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"'{value}'"


def plan_lines(plan: ImportPlan, *, every_record: bool) -> list[str]:
    """The plan as lines of text: its summary, the ignored columns, every problem, the review list and the
    conflicts; with ``every_record`` (a dry run) each record to create, update or leave alone too."""
    lines = [plan.summary()]
    if plan.unknown_columns:
        lines.append(f"ignored columns (not known for {plan.kind.value}): " + ", ".join(plan.unknown_columns))
    lines.extend(f"problem: {problem.describe()}" for problem in plan.problems)
    lines.extend(f"to review: row {item.row}: {item.reason}" for item in plan.review)
    for record in plan.conflicts:
        for conflict in record.conflicts:
            lines.append(
                f"conflict: row {record.row}, {record.who}: {conflict.field.replace('_', ' ')} is "
                f"{shown_value(conflict.in_app)} in the app, {shown_value(conflict.in_file)} in the file: "
                "not overwritten"
            )
    if every_record:
        for action in (Action.CREATE, Action.UPDATE, Action.UNCHANGED):
            for record in plan.with_action(action):
                fields = ", ".join(k.replace("_", " ") for k in record.values)
                changed = f" ({fields})" if action is Action.UPDATE else ""
                lines.append(f"{action.value}: row {record.row}, {record.who}{changed}")
    return lines
