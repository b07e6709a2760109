"""The patient list's rows, made from the columns its query reads (no database stack: the app's first page is
shown before SQLAlchemy is loaded, see ``db_file.read_first_patients``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coordinator_tui.names import professional_display_name

if TYPE_CHECKING:
    from coordinator_tui.models import Patient

PAGE_SIZE = 100  # rows the list reads per filter: the first page of matches, in name order (type more to narrow)


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Completed years on ``day`` (``dateutil.relativedelta(day, date_of_birth).years``, without its cost: the
    patient list computes an age per row at every keystroke). Born on 29 February: a year older on 1 March in
    other years."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


@dataclass(frozen=True)
class PatientSummary:
    """One row of the patient list."""

    patient_id: int
    family_name: str
    given_name: str
    nhs_number: str
    hospital_number: str
    age: int
    next_clinic_date: dt.date | None  # first day of the next clinic the patient is invited to (not cancelled)
    next_clinic_name: str
    named_worker: str | None  # the active named worker's display name
    open_transition_items: int  # to do or in progress, and already showing (appears_on today or earlier)


def summary_from_row(row: Sequence[Any], today: dt.date) -> PatientSummary:
    """A list row from the query's columns: patient id, family name, given name, NHS number, hospital number, date
    of birth, next clinic's date and name, the named worker's title, given and family name (None without an active
    named worker), open transition items."""
    patient_id, family_name, given_name, nhs_number, hospital_number, born, clinic_date, clinic_name, *rest = row
    title, worker_given, worker_family, open_count = rest
    no_worker = worker_family is None  # no active named worker: the outer join found no professional
    return PatientSummary(
        patient_id=patient_id,
        family_name=family_name,
        given_name=given_name,
        nhs_number=nhs_number,
        hospital_number=hospital_number,
        age=age_on(born, today),
        next_clinic_date=clinic_date,
        next_clinic_name=clinic_name or "",
        named_worker=None if no_worker else professional_display_name(title, worker_given, worker_family),
        open_transition_items=int(open_count),
    )


SCHOOL_YEAR_WORDS = {
    1: "a school year behind their age group",
    2: "two school years behind their age group",
    -1: "a school year ahead of their age group",
}


def _uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def transition_facts(patient: Patient) -> list[str]:
    """What the transition checklist is made from, in words for the record's summary (only what is recorded):
    the EHCP and its last review, DLA and its appointee, the conditions, a school year out of the age group, the
    planned and actual transfer."""
    facts: list[str] = []
    if patient.has_ehcp:
        reviewed = patient.ehcp_reviewed_on
        facts.append(f"EHCP (reviewed {_uk(reviewed)})" if reviewed else "EHCP (no review date)")
    if patient.receives_dla:
        facts.append("DLA, parent appointee" if patient.dla_appointee_parent else "DLA")
    conditions = [
        name
        for name, recorded in (
            ("learning disability", patient.learning_disability),
            ("diabetes", patient.diabetes_not_diet_controlled),
            ("hypothyroidism", patient.hypothyroidism),
            ("may lack capacity", patient.may_lack_capacity),
        )
        if recorded
    ]
    facts.extend(conditions)
    if patient.school_year_offset in SCHOOL_YEAR_WORDS:
        facts.append(SCHOOL_YEAR_WORDS[patient.school_year_offset])
    if patient.transferred_on:
        facts.append(f"transferred {_uk(patient.transferred_on)}")
    elif patient.planned_transfer_date:
        facts.append(f"transfer planned {_uk(patient.planned_transfer_date)}")
    if patient.checklist_closed_on:
        reason = f": {patient.checklist_closed_reason}" if patient.checklist_closed_reason else ""
        facts.append(f"checklist closed {_uk(patient.checklist_closed_on)}{reason}")
    return facts
