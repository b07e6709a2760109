"""The patient list's rows, made from the columns its query reads (no database stack: the app's first page is
shown before SQLAlchemy is loaded, see ``db_file.read_first_patients``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coordinator_tui.names import professional_display_name

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
