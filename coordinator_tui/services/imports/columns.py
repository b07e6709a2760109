"""The columns each kind of import reads, and matching a file's header to them.

Headers are matched ignoring case, spaces and punctuation ("NHS No.", "nhs number", "NHS_Number"), with the
common synonyms ("Surname", "Last name" and "Family name"; "DOB" and "Date of birth"). A column matching nothing
is listed and ignored; a required column missing stops the import before any row is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ImportKind(StrEnum):
    PATIENTS = "patients"
    CONTACTS = "contacts"
    PROFESSIONALS = "professionals"
    CARE_TEAM = "care-team"


@dataclass(frozen=True)
class Column:
    """A field an import reads: the header the template uses, other headers taken for it, and whether the file
    must have it."""

    field: str
    header: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    example: str = ""


_NHS = Column("nhs_number", "NHS number", ("NHS No", "NHS", "NHS num", "NHS no."), required=True)
_PATIENT_NHS = Column(
    "patient_nhs_number", "Patient NHS number", ("NHS number", "NHS No", "NHS", "Patient NHS No"), required=True
)

COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.PATIENTS: (
        Column("nhs_number", "NHS number", _NHS.synonyms, True, "999 000 0018"),
        Column("hospital_number", "Hospital number", ("Hospital No", "MRN", "Hosp No"), True, "TEST0001"),
        Column("given_name", "Given name", ("First name", "Forename", "Forenames", "Given names"), True, "Testchild"),
        Column("family_name", "Family name", ("Surname", "Last name", "Lastname"), True, "Examplefamily"),
        Column("date_of_birth", "Date of birth", ("DOB", "D.O.B.", "Birth date", "Birthdate"), True, "14/03/2012"),
        Column("condition", "Condition", ("Diagnosis",), example="Alström syndrome"),
        Column("school", "School", (), example="Example Primary School"),
        Column("has_ehcp", "Has an EHCP", ("EHCP",), example="yes"),
        Column("ehcp_reviewed_on", "EHCP review date", ("EHCP reviewed", "EHCP last review"), example="01/09/2026"),
        Column("large_print", "Large print", (), example="no"),
        Column("bsl_interpreter", "BSL interpreter", ("BSL",), example="no"),
        Column("wheelchair", "Wheelchair", ("Wheelchair user",), example="no"),
        Column("interpreter_language", "Interpreter language", ("Interpreter",), example=""),
        Column("registered_on", "Registered on", ("Registered", "Registration date"), example="02/05/2019"),
        Column("planned_transfer_date", "Planned transfer date", ("Planned transfer",), example=""),
        Column("transferred_on", "Transferred on", ("Transfer date",), example=""),
        Column("receives_dla", "Receives DLA", ("DLA",), example="yes"),
        Column("dla_appointee_parent", "Parent is DLA appointee", ("DLA appointee",), example="yes"),
        Column("learning_disability", "Learning disability", ("LD",), example="no"),
        Column("diabetes_not_diet_controlled", "Diabetes not diet controlled", ("Diabetes",), example="no"),
        Column("hypothyroidism", "Hypothyroidism", (), example="no"),
        Column("may_lack_capacity", "May lack capacity", ("Capacity concerns",), example="no"),
        Column("school_year_offset", "School year offset", ("School years behind",), example="0"),
        Column("review_interval_months", "Review interval months", ("Review interval",), example="12"),
    ),
    ImportKind.CONTACTS: (
        Column(_PATIENT_NHS.field, _PATIENT_NHS.header, _PATIENT_NHS.synonyms, True, "999 000 0018"),
        Column("name", "Contact name", ("Name", "Full name", "Contact"), True, "Alex Examplefamily"),
        Column("relationship", "Relationship", ("Relation", "Relationship to patient"), example="parent"),
        Column("phone", "Phone", ("Telephone", "Phone number", "Mobile", "Tel"), example="07700 900123"),
        Column("email", "Email", ("Email address", "E-mail"), example="alex.examplefamily@example.org"),
        Column("address", "Address", ("Postal address",), example="1 Example Street, Testtown"),
        Column("preferred_method", "Preferred method", ("Preferred contact", "Contact by"), example="phone"),
        Column("receives_itinerary", "Receives itinerary", ("Itinerary",), example="yes"),
    ),
    ImportKind.PROFESSIONALS: (
        Column("title", "Title", (), example="Dr"),
        Column("given_name", "Given name", ("First name", "Forename"), True, "Quinn"),
        Column("family_name", "Family name", ("Surname", "Last name"), True, "Testclinician"),
        Column("discipline", "Discipline", ("Specialty", "Speciality", "Profession"), True, "cardiology"),
        Column("role", "Role", ("Job title", "Position"), example="Consultant paediatric cardiologist"),
        Column("organisation", "Organisation", ("Organization", "Hospital", "Trust"), example="Exampleton Hospital"),
        Column("setting", "Setting", ("Centre or local",), example="centre"),
        Column("phone", "Phone", ("Telephone", "Phone number", "Tel"), example="0121 496 0000"),
        Column("email", "Email", ("Email address", "E-mail"), example="quinn.testclinician@nhs.example"),
        Column("usual_days", "Usual days", ("Clinic days", "Days"), example="Mon Wed"),
    ),
    ImportKind.CARE_TEAM: (
        Column(_PATIENT_NHS.field, _PATIENT_NHS.header, _PATIENT_NHS.synonyms, True, "999 000 0018"),
        Column(
            "professional_email",
            "Professional email",
            ("Email", "Email address"),
            example="quinn.testclinician@nhs.example",
        ),
        Column("professional_given_name", "Professional given name", ("Given name", "First name"), example="Quinn"),
        Column(
            "professional_family_name", "Professional family name", ("Family name", "Surname"), example="Testclinician"
        ),
        Column("discipline", "Discipline", ("Specialty", "Speciality"), example="cardiology"),
        Column("role", "Role in team", ("Role",), example="Cardiologist"),
        Column("start_date", "Start date", ("From", "Started"), example="01/01/2024"),
        Column("end_date", "End date", ("To", "Ended"), example=""),
        Column("is_named_worker", "Named worker", ("Is named worker",), example="yes"),
    ),
}


def normalise(header: str) -> str:
    """A header as matched: lower case, letters and digits only ("NHS No." -> "nhsno")."""
    return re.sub(r"[^0-9a-z]", "", header.casefold())


class MissingColumnsError(ValueError):
    """A required column is not in the file: the import stops before any row is read."""

    def __init__(self, kind: ImportKind, missing: list[Column]) -> None:
        self.missing = missing
        names = ", ".join(f"'{c.header}'" for c in missing)
        super().__init__(f"the {kind.value} file has no {names} column{'s' if len(missing) > 1 else ''}")


@dataclass(frozen=True)
class HeaderMatch:
    """Which column of the file each field is read from, and the columns ignored."""

    fields: dict[str, int]  # field -> index of its column in the file
    headers: dict[str, str]  # field -> the header as the file spells it
    unknown: list[str]  # headers matching no field (and repeated ones), ignored


def match_header(kind: ImportKind, header: list[str]) -> HeaderMatch:
    """Match a file's header to ``kind``'s columns: exact header names first, then synonyms (so a care-team file
    with both 'Patient NHS number' and 'Email' reads each where it belongs)."""
    columns = COLUMNS[kind]
    fields: dict[str, int] = {}
    headers: dict[str, str] = {}
    taken: set[int] = set()
    keys = [normalise(h) for h in header]
    for pass_synonyms in (False, True):
        for column in columns:
            if column.field in fields:
                continue
            names = {normalise(column.header)} | ({normalise(s) for s in column.synonyms} if pass_synonyms else set())
            for index, key in enumerate(keys):
                if index not in taken and key and key in names:
                    fields[column.field] = index
                    headers[column.field] = header[index]
                    taken.add(index)
                    break
    missing = [c for c in columns if c.required and c.field not in fields]
    if missing:
        raise MissingColumnsError(kind, missing)
    unknown = [h if h else f"(column {i + 1}, no header)" for i, h in enumerate(header) if i not in taken]
    return HeaderMatch(fields, headers, unknown)


def header_of(kind: ImportKind, field: str) -> str:
    """The template's header for ``field`` of ``kind``."""
    return next(c.header for c in COLUMNS[kind] if c.field == field)


def template_text(kind: ImportKind) -> str:
    """The template for ``kind``: its header and one example row of obviously fictional data, as CSV."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS[kind]])
    writer.writerow([c.example for c in COLUMNS[kind]])
    return out.getvalue()
