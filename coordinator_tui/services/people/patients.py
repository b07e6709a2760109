"""Patients: register, correct, find, archive, and the summary rows of the patient list."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from coordinator_tui import clock
from coordinator_tui.models import (
    AuditAction,
    CareTeamMember,
    CareTeamStatus,
    ClinicAttendance,
    ClinicEvent,
    ClinicStatus,
    Patient,
    Professional,
    TransitionItem,
    TransitionStatus,
    patient_search_key,
)
from coordinator_tui.services.people.patient_summary import PAGE_SIZE, summary_from_row
from coordinator_tui.services.people.patient_summary import PatientSummary as PatientSummary
from coordinator_tui.services.people.patient_summary import age_on as age_on
from coordinator_tui.services.people.text_search import ESCAPE, like_pattern
from coordinator_tui.services.safety.records import create_record, get_or_raise, update_record
from coordinator_tui.text_fold import fold
from coordinator_tui.validation import (
    FieldError,
    FormErrors,
    ValidationError,
    as_flag,
    clean_text,
    form_text,
    parse_date_of_birth,
    parse_positive_int,
    parse_text_fields,
    parse_uk_date,
    refuse_unsafe_text,
    validate_nhs_number,
)

if TYPE_CHECKING:
    from coordinator_tui.db import Database

TEXT_LIMITS = {
    "hospital_number": 20,
    "given_name": 100,
    "family_name": 100,
    "condition": 200,
    "school": 200,
    "interpreter_language": 60,
}
FLAGS = (
    "has_ehcp",
    "large_print",
    "bsl_interpreter",
    "wheelchair",
    # What the transition rules read of the young person (migration 0009).
    "receives_dla",
    "dla_appointee_parent",
    "learning_disability",
    "diabetes_not_diet_controlled",
    "hypothyroidism",
    "may_lack_capacity",
)
# School years behind (+) or ahead (-) of the year group for the child's age: the choices the form offers.
SCHOOL_YEAR_OFFSETS = {0: "in their age group", 1: "one year behind", 2: "two years behind", -1: "one year ahead"}
APPOINTEE_NEEDS_DLA = "a parent can be the DLA appointee only for a child who receives DLA: tick 'Receives DLA' too"
EHCP_DATE_NEEDS_EHCP = "an EHCP review date needs 'Has an EHCP' ticked (clear the date if the plan has ended)"
SEARCHED_BY = frozenset({"given_name", "family_name", "hospital_number"})  # what Patient.search_key is made of


def parse_patient_form(form: Mapping[str, object]) -> dict[str, Any]:
    """Turn a form's raw values into clean field values, or raise ValidationError naming every bad field."""
    errors = FormErrors()
    values: dict[str, Any] = {}

    def text(key: str) -> str:
        return form_text(form, key)

    values["nhs_number"] = errors.check("nhs_number", validate_nhs_number, text("nhs_number"))
    values.update(
        parse_text_fields(form, errors, TEXT_LIMITS, required={"hospital_number", "given_name", "family_name"})
    )
    if values.get("hospital_number") and not re.fullmatch(r"[A-Za-z0-9-]+", values["hospital_number"]):
        errors.add("hospital_number", "hospital number may contain letters, digits and - only")
    values["date_of_birth"] = errors.check("date_of_birth", parse_date_of_birth, text("date_of_birth"))
    registered = text("registered_on")
    values["registered_on"] = (
        errors.check("registered_on", parse_uk_date, registered, "registered_on", allow_future=False)
        if registered.strip()
        else clock.today()
    )
    values["planned_transfer_date"] = errors.check(
        "planned_transfer_date",
        parse_uk_date,
        text("planned_transfer_date"),
        "planned_transfer_date",
        required=False,
    )
    if "review_interval_months" in form:
        values["review_interval_months"] = errors.check(
            "review_interval_months",
            parse_positive_int,
            text("review_interval_months"),
            "review_interval_months",
            minimum=1,
            maximum=60,
        )
    values["internal_notes"] = errors.check(
        "internal_notes", clean_text, text("internal_notes"), "internal_notes", max_length=4000, multiline=True
    )
    for flag in FLAGS:
        values[flag] = as_flag(form.get(flag, False))
    _parse_transition_facts(form, values, errors)
    dob, reg = values.get("date_of_birth"), values.get("registered_on")
    if dob and reg and reg < dob:
        errors.add("registered_on", "cannot be before the date of birth")
    for name in ("planned_transfer_date", "transferred_on", "ehcp_reviewed_on"):
        day = values.get(name)
        if dob and day and day < dob:
            errors.add(name, "cannot be before the date of birth")
    for name, message in _combination_problems(values).items():
        errors.add(name, message)
    errors.raise_if_any()
    return {k: v for k, v in values.items() if k in form or k in {"registered_on", *FLAGS} or v is not None}


def _parse_transition_facts(form: Mapping[str, object], values: dict[str, Any], errors: FormErrors) -> None:
    """The actual transfer date and the EHCP's issue or last review (neither in the future), and the school-year
    override (a number of years, one of ``SCHOOL_YEAR_OFFSETS``)."""
    for name in ("transferred_on", "ehcp_reviewed_on"):
        values[name] = errors.check(
            name, parse_uk_date, form_text(form, name), name, required=False, allow_future=False
        )
    offset = form_text(form, "school_year_offset").strip()
    if offset:
        values["school_year_offset"] = errors.check("school_year_offset", parse_school_year_offset, offset)


def parse_school_year_offset(text: str) -> int:
    """School years behind (+) or ahead (-) of the child's age group, typed as a whole number from -1 to 2."""
    try:
        number = int(text.strip())
    except ValueError:
        raise FieldError("school_year_offset", "choose how the school year differs from the age group") from None
    if number not in SCHOOL_YEAR_OFFSETS:
        raise FieldError("school_year_offset", "must be from one year ahead (-1) to two years behind (2)")
    return number


def _combination_problems(values: Mapping[str, Any]) -> dict[str, str]:
    """Facts that only mean something together: a parent as DLA appointee needs DLA, an EHCP review date an
    EHCP. Only checked when both facts are among ``values``."""
    problems: dict[str, str] = {}
    if values.get("dla_appointee_parent") and values.get("receives_dla") is False:
        problems["dla_appointee_parent"] = APPOINTEE_NEEDS_DLA
    if values.get("ehcp_reviewed_on") is not None and values.get("has_ehcp") is False:
        problems["ehcp_reviewed_on"] = EHCP_DATE_NEEDS_EHCP
    return problems


def _check_unique_nhs(session: Session, nhs_number: str, exclude_id: int | None = None) -> None:
    query = select(Patient.id).where(Patient.nhs_number == nhs_number)
    if exclude_id is not None:
        query = query.where(Patient.id != exclude_id)
    if session.exec(query).first() is not None:
        raise ValidationError.single("nhs_number", "this NHS number is already registered to another patient")


def _check_domain_rules(values: Mapping[str, Any]) -> None:
    """What holds however the values were made (a form, an import, a tool): text that cannot deceive, a date of
    birth not in the future, a valid NHS number."""
    for name in (*TEXT_LIMITS, "internal_notes"):
        if isinstance(values.get(name), str):
            try:
                refuse_unsafe_text(values[name], name, multiline=name == "internal_notes")
            except FieldError as exc:
                raise ValidationError.single(name, exc.message) from exc
    today = clock.today()
    for name in ("date_of_birth", "transferred_on", "ehcp_reviewed_on"):
        day = values.get(name)
        if day is not None and day > today:
            raise ValidationError.single(name, "cannot be in the future")
    if "school_year_offset" in values and values["school_year_offset"] not in SCHOOL_YEAR_OFFSETS:
        raise ValidationError.single("school_year_offset", "must be from one year ahead (-1) to two years behind (2)")
    if "nhs_number" in values:
        try:
            validate_nhs_number(values["nhs_number"])
        except FieldError as exc:
            raise ValidationError.single("nhs_number", exc.message) from exc


# The facts checked against each other (and the date of birth) on every save, whichever of them changed.
RELATED_FACTS = (
    "date_of_birth",
    "planned_transfer_date",
    "transferred_on",
    "ehcp_reviewed_on",
    "has_ehcp",
    "receives_dla",
    "dla_appointee_parent",
)


def _check_related_facts(patient: Patient, changes: Mapping[str, Any]) -> None:
    """The patient's facts as they will be saved agree: dates not before the date of birth, a DLA appointee only
    with DLA, an EHCP review date only with an EHCP."""
    facts = {name: changes.get(name, getattr(patient, name)) for name in RELATED_FACTS}
    dob = facts["date_of_birth"]
    problems = {
        name: "cannot be before the date of birth"
        for name in ("planned_transfer_date", "transferred_on", "ehcp_reviewed_on")
        if facts[name] is not None and dob is not None and facts[name] < dob
    }
    problems.update(_combination_problems(facts))
    if problems:
        raise ValidationError(problems)


def create_patient(session: Session, values: Mapping[str, Any]) -> Patient:
    """Register a patient from clean values (see ``parse_patient_form``)."""
    data = dict(values)
    data.setdefault("registered_on", clock.today())
    _check_domain_rules(data)
    patient = Patient(**data)
    _check_related_facts(patient, {})
    _check_unique_nhs(session, data["nhs_number"])
    return create_record(session, patient)


def update_patient(
    session: Session, patient_id: int, values: Mapping[str, Any], *, expected_version: int | None = None
) -> Patient:
    _check_domain_rules(values)
    current = get_patient(session, patient_id)
    if set(RELATED_FACTS) & values.keys():
        _check_related_facts(current, values)
    if "nhs_number" in values:
        _check_unique_nhs(session, values["nhs_number"], exclude_id=patient_id)
    changes = dict(values)
    if SEARCHED_BY & changes.keys():  # update_record's UPDATE bypasses the model's events: keep the key here
        changes["search_key"] = patient_search_key(
            *(changes.get(name, getattr(current, name)) for name in ("given_name", "family_name", "hospital_number"))
        )
    return update_record(session, Patient, patient_id, changes, expected_version=expected_version)


def archive_patient(session: Session, patient_id: int, *, expected_version: int | None = None) -> Patient:
    return update_record(
        session,
        Patient,
        patient_id,
        {"archived": True},
        expected_version=expected_version,
        action=AuditAction.ARCHIVE,
    )


def restore_patient(session: Session, patient_id: int, *, expected_version: int | None = None) -> Patient:
    """Un-archive a patient (back on the patient list, the caseload and the clinic proposals)."""
    return update_record(session, Patient, patient_id, {"archived": False}, expected_version=expected_version)


def get_patient(session: Session, patient_id: int) -> Patient:
    return get_or_raise(session, Patient, patient_id)


NAME_ORDER = (Patient.family_name, Patient.given_name, Patient.id)  # the patient list's order (ix_patient_list)


def list_patients(session: Session, *, include_archived: bool = False) -> Sequence[Patient]:
    query = select(Patient)
    if not include_archived:
        query = query.where(col(Patient.archived).is_(False))
    return session.exec(query.order_by(*NAME_ORDER)).all()


def _matching(text: str) -> list[sa.ColumnElement[bool]]:
    """Conditions for patients matching every word typed: each word, case-folded and accent-free, in the search
    key (names and hospital number, folded the same way), or (digits, spaces and dashes allowed) in the NHS
    number. Plain ``LIKE`` on folded text: the same matches on SQLite and PostgreSQL."""
    conditions: list[sa.ColumnElement[bool]] = []
    for word in fold(text).split():
        digits = re.sub(r"[\s-]", "", word)
        alternatives = [col(Patient.search_key).like(like_pattern(word), escape=ESCAPE)]
        if digits.isascii() and digits.isdigit():
            alternatives.append(col(Patient.nhs_number).like(f"%{digits}%"))
        conditions.append(or_(*alternatives))
    return conditions


def search_patients(
    session: Session, text: str, *, limit: int = 500, include_archived: bool = False
) -> Sequence[Patient]:
    """Patients whose name, NHS number or hospital number matches what was typed (ignoring case and accents)."""
    query = select(Patient).where(*_matching(text))
    if not include_archived:
        query = query.where(col(Patient.archived).is_(False))
    return session.exec(query.order_by(*NAME_ORDER).limit(limit)).all()


def patient_list(
    session: Session, text: str, *, limit: int = PAGE_SIZE, today: dt.date | None = None
) -> list[PatientSummary]:
    """The patient list's rows for what was typed: the first ``limit`` patients (not archived) matching it, in
    name order, with their age, next clinic, named worker and open transition items.

    One statement, reading columns rather than records: this runs at every keystroke of the patient filter. The
    page of patients is read from the ``ix_patient_list`` index alone; the other columns are looked up for the
    page's patients only.
    """
    today = today or clock.today()
    page = (
        select(
            Patient.id,
            Patient.family_name,
            Patient.given_name,
            Patient.nhs_number,
            Patient.hospital_number,
            Patient.date_of_birth,
        )
        .where(col(Patient.archived).is_(False), *_matching(text))
        .order_by(*NAME_ORDER)
        .limit(limit)
        .subquery("page")
    )
    next_clinic_id = (
        select(ClinicEvent.id)
        .join(ClinicAttendance, col(ClinicAttendance.clinic_event_id) == ClinicEvent.id)
        .where(
            ClinicAttendance.patient_id == page.c.id,
            ClinicEvent.start_date >= today,
            ClinicEvent.status != ClinicStatus.CANCELLED,
        )
        .order_by(ClinicEvent.start_date, ClinicEvent.id)
        .limit(1)
        .correlate(page)
        .scalar_subquery()
    )
    named_worker_id = (
        select(CareTeamMember.professional_id)
        .where(
            CareTeamMember.patient_id == page.c.id,
            col(CareTeamMember.is_named_worker).is_(True),
            CareTeamMember.status == CareTeamStatus.ACTIVE,
        )
        .limit(1)
        .correlate(page)
        .scalar_subquery()
    )
    open_items = (
        select(sa.func.count())
        .where(
            TransitionItem.patient_id == page.c.id,
            col(TransitionItem.status).in_([TransitionStatus.TODO, TransitionStatus.IN_PROGRESS]),
            TransitionItem.appears_on <= today,
        )
        .correlate(page)
        .scalar_subquery()
    )
    query = (
        select(
            page,
            ClinicEvent.start_date,
            ClinicEvent.name,
            Professional.title,
            Professional.given_name,
            Professional.family_name,
            open_items,
        )
        .select_from(page)
        .outerjoin(ClinicEvent, col(ClinicEvent.id) == next_clinic_id)
        .outerjoin(Professional, col(Professional.id) == named_worker_id)
        .order_by(page.c.family_name, page.c.given_name, page.c.id)
    )
    return [summary_from_row(row, today) for row in session.exec(query).all()]


def patient_page(database: Database, text: str) -> list[PatientSummary]:
    """The patient list's first page for what was typed in its filter (one read; see ``patient_list``)."""
    return database.read(patient_list, text, limit=PAGE_SIZE)
