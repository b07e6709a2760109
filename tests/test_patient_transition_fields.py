"""The patient facts the transition checklist reads (issue 19): parsed and checked on every save, in ``list --json``,
audited, and every save of a patient (new, edited, archived, back from the archive) brings their checklist up to
date in the same unit of work."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from coordinator_tui.db import Database
from coordinator_tui.models import AuditEvent, Patient, TransitionItem
from coordinator_tui.services import service_details
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.services.people.patient_forms import (
    SavedPatient,
    archive_patient,
    restore_patient,
    save_new_patient,
    save_patient,
)
from coordinator_tui.services.people.patient_summary import transition_facts
from coordinator_tui.validation import ValidationError
from tests.cli_helpers import cli
from tests.postgres_server import both_databases
from tests.safety_helpers import patient_form

pytestmark = both_databases

# The service's own rules, layered on the shipped ones: one rule per fact the form sets, each easy to find.
SERVICE_RULES = """
schema_version = 1

[[milestone]]
id = "h3_at_15"
title = "Testrule at 15"
category = "health"
owner_role = "specialist nurse"
stage = "Go"
due = { kind = "age", years = 15, months = 6 }
lead_time = { months = 1 }
source = "test rule: dated from the date of birth"

[[milestone]]
id = "h3_ehcp"
title = "Testrule with an EHCP"
category = "education"
owner_role = "specialist nurse"
stage = "Go"
due = { kind = "age", years = 16, months = 0 }
lead_time = { months = 1 }
condition = "has_ehcp"
source = "test rule: only with an EHCP"

[[milestone]]
id = "h3_dla"
title = "Testrule with DLA"
category = "benefits"
owner_role = "specialist nurse"
stage = "Go"
due = { kind = "age", years = 16, months = 0 }
lead_time = { months = 1 }
condition = "receives_dla"
source = "test rule: only for a child who gets DLA"

[[milestone]]
id = "h3_before_transfer"
title = "Testrule before the transfer"
category = "health"
owner_role = "specialist nurse"
stage = "Transfer"
due = { kind = "transfer", months = -3 }
lead_time = { months = 1 }
source = "test rule: dated from the transfer"
"""

BORN = "01/06/2011"  # 15 on the fixed date (25/11/2026)


def use_service_rules(db: Database, tmp_path: Path, text: str = SERVICE_RULES) -> None:
    path = tmp_path / "test-rules.toml"
    path.write_text(text, encoding="utf-8")
    service_details.load_service_rules(db, str(path), service_details.service_details(db).version)


def items(db: Database, patient_id: int | None) -> dict[str, TransitionItem]:
    """The patient's items by rule id (first occurrence of a repeating rule)."""
    with db.session() as session:
        rows = session.exec(
            select(TransitionItem).where(TransitionItem.patient_id == patient_id).order_by(col(TransitionItem.id))
        ).all()
    found: dict[str, TransitionItem] = {}
    for item in rows:
        found.setdefault(item.rule_id, item)
    return found


def reread(db: Database, patient_id: int | None) -> Patient:
    with db.session() as session:
        return session.get_one(Patient, patient_id)


def new_patient(db: Database, seed: int = 1, **fields: str | bool) -> Patient:
    return save_new_patient(db, {**patient_form(seed, date_of_birth=BORN), **fields}).patient


# ------------------------------------------------------------------------------------------------------------
# Parsing and checking each field
# ------------------------------------------------------------------------------------------------------------


def test_the_form_parses_every_transition_fact() -> None:
    values = patient_service.parse_patient_form(
        {
            **patient_form(1, date_of_birth=BORN),
            "has_ehcp": True,
            "ehcp_reviewed_on": "03/02/2026",
            "receives_dla": True,
            "dla_appointee_parent": True,
            "learning_disability": True,
            "diabetes_not_diet_controlled": True,
            "hypothyroidism": True,
            "may_lack_capacity": True,
            "school_year_offset": "1",
            "planned_transfer_date": "01/09/2029",
            "transferred_on": "",
        }
    )
    assert values["ehcp_reviewed_on"] == dt.date(2026, 2, 3)
    assert values["school_year_offset"] == 1
    assert values["transferred_on"] is None and values["planned_transfer_date"] == dt.date(2029, 9, 1)
    for flag in (
        "receives_dla",
        "dla_appointee_parent",
        "learning_disability",
        "diabetes_not_diet_controlled",
        "hypothyroidism",
        "may_lack_capacity",
    ):
        assert values[flag] is True, flag


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"ehcp_reviewed_on": "26/11/2026", "has_ehcp": True}, "ehcp_reviewed_on", "future"),
        ({"ehcp_reviewed_on": "31/05/2011", "has_ehcp": True}, "ehcp_reviewed_on", "before the date of birth"),
        ({"ehcp_reviewed_on": "31/02/2026", "has_ehcp": True}, "ehcp_reviewed_on", ""),
        ({"ehcp_reviewed_on": "01/02/2026"}, "ehcp_reviewed_on", "Has an EHCP"),
        ({"transferred_on": "01/12/2026"}, "transferred_on", "future"),
        ({"transferred_on": "01/01/2010"}, "transferred_on", "before the date of birth"),
        ({"transferred_on": "yesterday"}, "transferred_on", "DD/MM/YYYY"),
        ({"dla_appointee_parent": True}, "dla_appointee_parent", "Receives DLA"),
        ({"school_year_offset": "3"}, "school_year_offset", "two years behind"),
        ({"school_year_offset": "-2"}, "school_year_offset", "one year ahead"),
        ({"school_year_offset": "behind"}, "school_year_offset", "choose"),
    ],
)
def test_bad_transition_facts_are_refused_on_their_field(fields: dict[str, str | bool], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        patient_service.parse_patient_form({**patient_form(1, date_of_birth=BORN), **fields})
    assert field in refused.value.errors
    assert words in refused.value.errors[field]


def test_a_refused_edit_saves_nothing(db: Database, tmp_path: Path) -> None:
    use_service_rules(db, tmp_path)
    patient = new_patient(db)
    with db.session() as session:
        events_before = session.exec(select(func.count()).select_from(AuditEvent)).one()
    with pytest.raises(ValidationError) as refused:
        save_patient(db, patient, {"transferred_on": "01/01/2030", "receives_dla": True})
    assert set(refused.value.errors) == {"transferred_on"}
    with pytest.raises(ValidationError):
        save_patient(db, patient, {"dla_appointee_parent": True})
    saved = reread(db, patient.id)
    assert (saved.version, saved.receives_dla, saved.transferred_on, saved.dla_appointee_parent) == (
        1,
        False,
        None,
        False,
    )
    assert "h3_dla" not in items(db, patient.id)
    with db.session() as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events_before


def test_the_domain_checks_facts_against_the_saved_record(db: Database) -> None:
    """However the values were made (not only the form): an appointee without DLA, an EHCP date without an EHCP,
    a transfer before birth or in the future, a school year out of range."""
    with db.session() as session:
        patient = patient_service.create_patient(
            session, patient_service.parse_patient_form(patient_form(1, date_of_birth=BORN))
        )
        assert patient.id is not None
        for changes in (
            {"dla_appointee_parent": True},
            {"ehcp_reviewed_on": dt.date(2026, 1, 5)},
            {"transferred_on": dt.date(2010, 1, 1)},
            {"transferred_on": dt.date(2026, 11, 26)},
            {"school_year_offset": 3},
        ):
            with pytest.raises(ValidationError):
                patient_service.update_patient(session, patient.id, changes)
        patient_service.update_patient(session, patient.id, {"receives_dla": True, "dla_appointee_parent": True})
        with pytest.raises(ValidationError) as refused:  # taking DLA away leaves an appointee without it
            patient_service.update_patient(session, patient.id, {"receives_dla": False})
        assert "dla_appointee_parent" in refused.value.errors


# ------------------------------------------------------------------------------------------------------------
# Shown, listed, audited
# ------------------------------------------------------------------------------------------------------------


def test_list_json_has_the_transition_facts(db: Database, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    new_patient(
        db,
        has_ehcp=True,
        ehcp_reviewed_on="03/02/2026",
        receives_dla=True,
        dla_appointee_parent=True,
        learning_disability=True,
        school_year_offset="1",
        planned_transfer_date="01/09/2029",
    )
    code, out, _err = cli(capsys, "list", "patients", "--json", "--db", db_url)
    assert code == 0
    row = json.loads(out.splitlines()[0])
    assert row["ehcp_reviewed_on"] == "2026-02-03"
    assert row["receives_dla"] is True and row["dla_appointee_parent"] is True
    assert row["learning_disability"] is True and row["diabetes_not_diet_controlled"] is False
    assert row["hypothyroidism"] is False and row["may_lack_capacity"] is False
    assert row["school_year_offset"] == 1
    assert row["planned_transfer_date"] == "2029-09-01" and row["transferred_on"] is None


def test_an_edit_of_the_facts_is_audited(db: Database) -> None:
    patient = new_patient(db)
    save_patient(
        db,
        patient,
        {"receives_dla": True, "hypothyroidism": True, "school_year_offset": "-1", "transferred_on": "01/11/2026"},
    )
    with db.session() as session:
        event = session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.entity == "patient", AuditEvent.entity_id == str(patient.id), AuditEvent.action == "update"
            )
            .order_by(col(AuditEvent.id).desc())
        ).first()
    assert event is not None
    after = json.loads(event.after)
    assert after["receives_dla"] is True and after["hypothyroidism"] is True
    assert after["school_year_offset"] == -1 and after["transferred_on"] == "2026-11-01"


def test_the_record_summary_names_the_facts_recorded() -> None:
    patient = Patient(
        nhs_number="9990000018",
        hospital_number="T1",
        given_name="Testpatient0",
        family_name="Example",
        date_of_birth=dt.date(2011, 6, 1),
        registered_on=dt.date(2020, 1, 1),
        has_ehcp=True,
        ehcp_reviewed_on=dt.date(2026, 2, 3),
        receives_dla=True,
        dla_appointee_parent=True,
        diabetes_not_diet_controlled=True,
        school_year_offset=1,
        planned_transfer_date=dt.date(2029, 9, 1),
    )
    assert transition_facts(patient) == [
        "EHCP (reviewed 03/02/2026)",
        "DLA, parent appointee",
        "diabetes",
        "a school year behind their age group",
        "transfer planned 01/09/2029",
    ]
    patient.transferred_on = dt.date(2026, 10, 1)
    assert transition_facts(patient)[-1] == "transferred 01/10/2026"


# ------------------------------------------------------------------------------------------------------------
# Every save keeps the checklist current, in the same unit of work
# ------------------------------------------------------------------------------------------------------------


def test_editing_the_date_of_birth_moves_the_items_in_the_same_save(db: Database, tmp_path: Path) -> None:
    use_service_rules(db, tmp_path)
    patient = new_patient(db)
    before = items(db, patient.id)["h3_at_15"]
    assert before.due_date == dt.date(2026, 12, 1)  # 15 years and 6 months
    saved = save_patient(db, patient, {"date_of_birth": "01/09/2011"})
    assert isinstance(saved, SavedPatient) and saved.checklist_problem == ""
    after = items(db, patient.id)["h3_at_15"]
    assert after.id == before.id and after.due_date == dt.date(2027, 3, 1)
    with db.session() as session:  # the move is audited with the patient's own change
        moved = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "transitionitem", AuditEvent.entity_id == str(after.id))
        ).all()
    assert [event.action for event in moved] == ["create", "update"]


def test_ehcp_and_dla_add_and_remove_their_items(db: Database, tmp_path: Path) -> None:
    use_service_rules(db, tmp_path)
    patient = new_patient(db)
    assert {"h3_ehcp", "h3_dla"}.isdisjoint(items(db, patient.id))
    patient = save_patient(db, patient, {"has_ehcp": True, "ehcp_reviewed_on": "03/02/2026"}).patient
    assert "h3_ehcp" in items(db, patient.id)
    patient = save_patient(db, patient, {"receives_dla": True, "dla_appointee_parent": True}).patient
    assert {"h3_ehcp", "h3_dla"} <= set(items(db, patient.id))
    patient = save_patient(db, patient, {"has_ehcp": False, "ehcp_reviewed_on": ""}).patient
    patient = save_patient(db, patient, {"receives_dla": False, "dla_appointee_parent": False}).patient
    assert {"h3_ehcp", "h3_dla"}.isdisjoint(items(db, patient.id))


def test_a_planned_transfer_date_moves_the_transfer_items(db: Database, tmp_path: Path) -> None:
    use_service_rules(db, tmp_path)
    patient = new_patient(db)
    assumed = items(db, patient.id)["h3_before_transfer"].due_date  # 18 (the shipped assumed age), less 3 months
    assert assumed == dt.date(2029, 3, 1)
    patient = save_patient(db, patient, {"planned_transfer_date": "01/06/2028"}).patient
    assert items(db, patient.id)["h3_before_transfer"].due_date == dt.date(2028, 3, 1)


def test_the_access_needs_form_also_keeps_the_checklist(db: Database, tmp_path: Path) -> None:
    """A save of some fields only (the access needs form) regenerates too: always, whatever changed."""
    patient = new_patient(db)  # the shipped rules alone
    use_service_rules(db, tmp_path)
    assert "h3_at_15" not in items(db, patient.id)
    save_patient(db, patient, {"large_print": True})
    assert "h3_at_15" in items(db, patient.id)


def test_unreadable_rules_save_the_patient_and_say_the_checklist_was_not_updated(db: Database) -> None:
    patient = new_patient(db)
    before = {rule: item.due_date for rule, item in items(db, patient.id).items()}
    with db.session() as session:
        service = service_details.get_service(session)
        service.milestone_rules = 'schema_version = 99\nnation = "atlantis"\n'
        session.add(service)
        session.commit()
    saved = save_patient(db, patient, {"date_of_birth": "01/03/2011"})
    assert reread(db, patient.id).date_of_birth == dt.date(2011, 3, 1)
    assert saved.checklist_problem and saved.checklist_note.startswith("The transition checklist was not updated")
    assert {rule: item.due_date for rule, item in items(db, patient.id).items()} == before
    other = save_new_patient(db, patient_form(2, date_of_birth=BORN))
    assert other.checklist_problem and not items(db, other.patient.id)


def test_archiving_closes_the_checklist_and_restoring_reopens_it(db: Database, tmp_path: Path) -> None:
    use_service_rules(db, tmp_path)
    patient = new_patient(db)
    archived = archive_patient(db, patient).patient
    assert archived.archived and archived.checklist_closed_on == dt.date(2026, 11, 25)
    assert archived.checklist_closed_reason
    assert all(item.status.value in {"missed", "done", "not_applicable"} for item in items(db, patient.id).values())
    restored = restore_patient(db, archived).patient
    assert not restored.archived and restored.checklist_closed_on is None
    assert items(db, patient.id)["h3_at_15"].status.value == "todo"


def test_a_passed_planned_transfer_with_none_recorded_is_a_warning_on_the_record() -> None:
    from coordinator_tui.ui.screens.patient_record import summary_text

    patient = Patient(
        nhs_number="9990000018",
        hospital_number="T1",
        given_name="Testpatient0",
        family_name="Example",
        date_of_birth=dt.date(2008, 6, 1),
        registered_on=dt.date(2020, 1, 1),
        planned_transfer_date=dt.date(2026, 11, 1),
    )
    today = dt.date(2026, 11, 25)
    shown = summary_text(patient, today).plain
    assert "Planned transfer 01/11/2026 has passed: has the transfer happened?" in shown
    patient.transferred_on = dt.date(2026, 11, 2)
    shown = summary_text(patient, today).plain
    assert "has passed" not in shown and "transferred 02/11/2026" in shown
