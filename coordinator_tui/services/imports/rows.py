"""Validating a spreadsheet's rows with the forms' own parsers: each row becomes the values the matching form
would save, or the problems found in it (row number, column, reason), every one of them.

Patients are parsed by ``patients.parse_patient_form``, contacts by ``contacts.parse_contact_form``, professionals
by ``professionals.parse_professional_form`` and care-team rows by ``care_team.parse_member_form``: DD/MM/YYYY
dates, NHS numbers with their check digit, UK phone numbers, emails and disciplines are checked exactly as when
typed. An Excel date cell is written out as DD/MM/YYYY first. Yes/no columns take yes, no, y, n, true, false, 1,
0 or x; anything else is a problem rather than a silent no. A blank cell gives no value: a new record takes the
form's default, an existing record keeps what the app holds (an import never clears a field).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from coordinator_tui.services.clinics.disciplines import canonical_discipline
from coordinator_tui.services.imports.columns import HeaderMatch, ImportKind, header_of
from coordinator_tui.services.imports.reading import Cell, Table
from coordinator_tui.services.people.care_team import parse_member_form
from coordinator_tui.services.people.contacts import parse_contact_form
from coordinator_tui.services.people.patients import FLAGS, parse_patient_form
from coordinator_tui.services.people.professionals import parse_professional_form
from coordinator_tui.validation import FieldError, ValidationError, format_uk_date, validate_email, validate_nhs_number

_YES = frozenset({"yes", "y", "true", "1", "x"})
_NO = frozenset({"no", "n", "false", "0", ""})
_FLAG_FIELDS = {
    ImportKind.PATIENTS: frozenset(FLAGS),
    ImportKind.CONTACTS: frozenset({"receives_itinerary"}),
    ImportKind.PROFESSIONALS: frozenset(),
    ImportKind.CARE_TEAM: frozenset({"is_named_worker"}),
}
_PATIENT_KEY = "patient_nhs_number"
_PROFESSIONAL_KEYS = ("professional_email", "professional_given_name", "professional_family_name", "discipline")


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    reason: str

    def describe(self) -> str:
        return f"row {self.row}, {self.column}: {self.reason}"


@dataclass
class ParsedRow:
    """A row's values as the form would save them; ``fields`` are those the file has a column for."""

    row: int
    values: dict[str, Any]
    fields: frozenset[str]
    raw: dict[str, str]


def _cell_text(cell: Cell) -> str:
    return format_uk_date(cell) if isinstance(cell, dt.date) else cell.strip()


def parse_rows(
    kind: ImportKind, table: Table, match: HeaderMatch, *, disciplines: Collection[str]
) -> tuple[list[ParsedRow], list[RowProblem]]:
    """Every row parsed, and every problem found (a row with any problem is left out of the parsed rows)."""
    parsed: list[ParsedRow] = []
    problems: list[RowProblem] = []
    for number, cells in zip(table.row_numbers, table.rows, strict=True):
        # A blank cell gives nothing: the form's default on a new record, the app's value kept on an update.
        form = {field: text for field, index in match.fields.items() if (text := _cell_text(cells[index]))}
        errors: dict[str, str] = {}
        for field in _FLAG_FIELDS[kind] & form.keys():
            text = form[field].casefold()
            if text not in _YES and text not in _NO:
                errors[field] = "type yes or no"
        try:
            values = _parse(kind, form, disciplines)
        except ValidationError as exc:
            values = None
            for field, message in exc.errors.items():
                errors.setdefault(field, message)
        if errors:
            for field, message in errors.items():
                column = match.headers.get(field) or _column_name(kind, field)
                problems.append(RowProblem(number, column, message))
            continue
        assert values is not None
        parsed.append(ParsedRow(number, values, frozenset(form), form))
    return parsed, problems


def _column_name(kind: ImportKind, field: str) -> str:
    try:
        return header_of(kind, field)
    except StopIteration:
        return field.replace("_", " ")


def _flags_as_bools(form: dict[str, str], flags: frozenset[str]) -> dict[str, object]:
    return {k: (v.casefold() in _YES if k in flags else v) for k, v in form.items()}


def _parse(kind: ImportKind, form: dict[str, str], disciplines: Collection[str]) -> dict[str, Any]:
    flags = _FLAG_FIELDS[kind]
    values_in = _flags_as_bools(form, flags)
    if kind is ImportKind.PATIENTS:
        return parse_patient_form(values_in)
    if kind is ImportKind.PROFESSIONALS:
        return parse_professional_form(values_in, known_disciplines=disciplines)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values[_PATIENT_KEY] = validate_nhs_number(form.get(_PATIENT_KEY, ""), _PATIENT_KEY)
    except FieldError as exc:
        errors[_PATIENT_KEY] = exc.message
    try:
        if kind is ImportKind.CONTACTS:
            values.update(parse_contact_form({k: v for k, v in values_in.items() if k != _PATIENT_KEY}))
        else:
            values.update(_professional_key(form, disciplines))
            member_form = {k: v for k, v in values_in.items() if k in {"role", "start_date", "end_date"}}
            if "is_named_worker" in values_in:
                member_form["is_named_worker"] = values_in["is_named_worker"]
            values.update(parse_member_form(member_form))
    except ValidationError as exc:
        errors.update({k: v for k, v in exc.errors.items() if k not in errors})
    if errors:
        raise ValidationError(errors)
    return values


def _professional_key(form: dict[str, str], disciplines: Collection[str]) -> dict[str, str]:
    """Who a care-team row names: the professional's email, else given and family name and discipline."""
    email = validate_email(form.get("professional_email", ""), "professional_email")
    given = form.get("professional_given_name", "").strip()
    family = form.get("professional_family_name", "").strip()
    discipline = canonical_discipline(form.get("discipline", "")) if form.get("discipline", "").strip() else ""
    if email:
        return {"professional_email": email.lower(), "discipline": discipline}
    if not (given and family and discipline):
        raise ValidationError.single(
            "professional_email", "name the professional by email, or by given name, family name and discipline"
        )
    if discipline not in disciplines:
        raise ValidationError.single("discipline", f"“{discipline[:40]}” is not a discipline in data/disciplines.toml")
    return {"professional_given_name": given, "professional_family_name": family, "discipline": discipline}
