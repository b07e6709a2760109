"""A change of the service's milestone rules: the preview counts what regenerating everyone then does, the
preview writes nothing, the regeneration runs in batches, a failed batch leaves the earlier ones done and a rerun
finishes the rest.

Every person here is fictional; NHS numbers are in the 999 range with valid check digits. The clock is fixed at
25 November 2026 (conftest).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from coordinator_tui.db import Database
from coordinator_tui.errors import DatabaseBusyError
from coordinator_tui.models import AuditEvent, Patient, Service, TransitionItem, TransitionStatus
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.people.patients import archive_patient, create_patient
from coordinator_tui.services.service_details import save_service_details, service_details
from coordinator_tui.services.transition import engine, rules_change
from coordinator_tui.services.transition.milestone_rules import RulesError, load_rules
from coordinator_tui.services.transition.rules_change import (
    apply_rules_change,
    preview,
    preview_lines,
    regenerate_everyone,
    regeneration_line,
)
from coordinator_tui.validation import nhs_check_digit
from tests.postgres_server import both_databases

pytestmark = both_databases

_serial = itertools.count(1)

#: A service's own rules: the Hello stage switched off, Ready a year later, one milestone of its own.
NORTHSHIRE_RULES = """
[[milestone]]
id = "rsg_hello"
enabled = false

[[milestone]]
id = "rsg_ready"
due = { kind = "age", years = 12 }

[[milestone]]
id = "northshire_welcome_pack"
title = "Northshire welcome pack sent"
category = "communication"
owner_role = "transition coordinator"
stage = "Ready"
due = { kind = "age", years = 18 }
source = "Northshire local practice (fictional service, for tests)"
"""

#: Ages from 10 to 17 on 25 November 2026, registered as babies: every one gets a long checklist.
BIRTHDAYS = [
    dt.date(2016, 3, 1),
    dt.date(2014, 5, 10),
    dt.date(2012, 7, 20),
    dt.date(2010, 1, 15),
    dt.date(2009, 6, 30),
]


def fictional_nhs_number() -> str:
    while True:
        first_nine = f"998{next(_serial):06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)


def add_patients(session: Session, birthdays: Sequence[dt.date]) -> list[int]:
    ids = []
    for dob in birthdays:
        number = next(_serial)
        patient = create_patient(
            session,
            {
                "nhs_number": fictional_nhs_number(),
                "hospital_number": f"RC{number}",
                "given_name": "Testpatient",
                "family_name": f"Example{number}",
                "date_of_birth": dob,
                "registered_on": dob + dt.timedelta(days=30),
            },
        )
        assert patient.id is not None
        ids.append(patient.id)
    return ids


@pytest.fixture
def patient_ids(db: Database) -> list[int]:
    """Five patients whose checklists follow the shipped rules (as they would before a rules change)."""
    ids = db.write(add_patients, BIRTHDAYS)
    regenerate_everyone(db, load_rules())
    return ids


def what_is_stored(session: Session) -> tuple[Any, ...]:
    """Every item's key, dates, status and version; the number of audit events; the service row's version."""
    items = session.exec(
        select(
            TransitionItem.id,
            TransitionItem.rule_id,
            TransitionItem.due_date,
            TransitionItem.appears_on,
            TransitionItem.status,
            TransitionItem.version,
        ).order_by(col(TransitionItem.id))
    ).all()
    audits = session.exec(select(sa.func.count()).select_from(AuditEvent)).one()
    service = session.exec(select(Service.version)).first()
    patients = session.exec(select(Patient.id, Patient.version).order_by(col(Patient.id))).all()
    return tuple(items), audits, service, tuple(patients)


def items_of(session: Session, rule_id: str) -> list[TransitionItem]:
    query = select(TransitionItem).where(TransitionItem.rule_id == rule_id).order_by(col(TransitionItem.patient_id))
    return list(session.exec(query).all())


def counts(summary: engine.GenerationSummary) -> dict[str, int]:
    return {
        name: getattr(summary, name)
        for name in ("patients", "affected", "added", "moved", "updated", "removed", "kept", "unchanged")
    }


def test_the_preview_writes_nothing_and_counts_what_regenerating_then_does(
    db: Database, patient_ids: list[int]
) -> None:
    hello = db.read(items_of, "rsg_hello")
    done = hello[0]  # a Hello item already done: kept as recorded when the rule is switched off
    engine_done = db.write(engine.set_status, done.id, TransitionStatus.DONE, expected_version=done.version)
    assert engine_done.status is TransitionStatus.DONE
    before = db.read(what_is_stored)

    change = preview(db, NORTHSHIRE_RULES, "northshire.toml", batch_size=2)

    assert db.read(what_is_stored) == before  # nothing written, not even an audit event
    summary = change.summary
    assert summary.patients == len(patient_ids)
    assert summary.affected == len(patient_ids)
    assert summary.added >= len(patient_ids)  # the welcome pack, for everyone
    assert summary.moved >= 1  # Ready a year later
    assert summary.removed == len(hello) - 1  # the Hello items still to do
    assert summary.kept == 1  # the one done

    progress: list[tuple[int, int]] = []
    result = apply_rules_change(db, change, batch_size=2, progress=lambda done, total: progress.append((done, total)))

    assert result.finished and (result.done, result.total) == (5, 5)
    assert progress == [(2, 5), (4, 5), (5, 5)]
    assert counts(result.summary) == counts(summary)
    details = service_details(db)
    assert (details.milestone_rules, details.milestone_rules_name) == (NORTHSHIRE_RULES, "northshire.toml")

    rerun = preview(db, None)
    assert rerun.new_rules is None and rerun.summary.affected == 0  # idempotent: nothing left to change
    assert regeneration_line(result).startswith("Checklists regenerated for 5 patients: 5 changed (")


def test_a_rules_file_change_regenerates_everyone(db: Database, patient_ids: list[int]) -> None:
    apply_rules_change(db, preview(db, NORTHSHIRE_RULES, "northshire.toml"))

    assert db.read(items_of, "rsg_hello") == []
    welcome = db.read(items_of, "northshire_welcome_pack")
    assert {item.patient_id for item in welcome} == set(patient_ids)
    assert {item.patient_id: item.due_date for item in welcome} == {
        patient_id: dob.replace(year=dob.year + 18) for patient_id, dob in zip(patient_ids, BIRTHDAYS, strict=True)
    }
    ready = {item.patient_id: item.due_date for item in db.read(items_of, "rsg_ready")}
    youngest = zip(patient_ids[:2], BIRTHDAYS[:2], strict=True)  # Ready not yet due for them: it moves a year
    assert {key: ready[key] for key in patient_ids[:2]} == {
        patient_id: dob.replace(year=dob.year + 12) for patient_id, dob in youngest
    }


def test_clearing_the_rules_goes_back_to_the_shipped_checklists(db: Database, patient_ids: list[int]) -> None:
    apply_rules_change(db, preview(db, NORTHSHIRE_RULES, "northshire.toml"))

    change = preview(db, "")
    assert change.rules_described == "the shipped rules alone"
    assert change.summary.removed == len(patient_ids)  # the welcome packs (to do, no note)
    result = apply_rules_change(db, change)

    assert counts(result.summary) == counts(change.summary)
    assert service_details(db).milestone_rules == ""
    assert db.read(items_of, "northshire_welcome_pack") == []
    assert len(db.read(items_of, "rsg_hello")) == len(patient_ids)


def test_a_failed_batch_leaves_the_batches_before_it_done_and_a_rerun_finishes(
    db: Database, patient_ids: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = load_rules(NORTHSHIRE_RULES, "northshire.toml")
    real = engine.regenerate_patients
    calls = itertools.count(1)

    def busy_on_the_second_batch(session: Session, ids: Sequence[int], *args: Any, **kwargs: Any) -> Any:
        if next(calls) == 2:
            raise DatabaseBusyError("the database is busy: someone else is saving")
        return real(session, ids, *args, **kwargs)

    monkeypatch.setattr(rules_change.engine, "regenerate_patients", busy_on_the_second_batch)
    result = regenerate_everyone(db, rules, batch_size=2)

    assert not result.finished and (result.done, result.total) == (2, 5)
    line = regeneration_line(result)
    assert line.startswith("Checklists regenerated for 2 of 5 patients (2 changed")
    assert "then stopped: the database is busy" in line and "Run it again to finish" in line
    welcome = {item.patient_id for item in db.read(items_of, "northshire_welcome_pack")}
    assert welcome == set(patient_ids[:2])  # the first batch is committed, the rest untouched

    monkeypatch.setattr(rules_change.engine, "regenerate_patients", real)
    again = regenerate_everyone(db, rules, batch_size=2)
    assert again.finished and again.summary.affected == 3  # the first two are left as they are
    assert {item.patient_id for item in db.read(items_of, "northshire_welcome_pack")} == set(patient_ids)


def test_a_preview_made_before_someone_changed_the_details_is_refused_and_nothing_is_regenerated(
    db: Database, patient_ids: list[int]
) -> None:
    change = preview(db, NORTHSHIRE_RULES, "northshire.toml")
    save_service_details(db, {"phone": "01214960000"}, change.service_version)
    before = db.read(what_is_stored)

    with pytest.raises(ConcurrentEditError):
        apply_rules_change(db, change)

    assert db.read(what_is_stored) == before
    assert service_details(db).milestone_rules == ""


def test_a_rules_change_that_closes_checklists_says_so_first(db: Database, patient_ids: list[int]) -> None:
    """Checklists closing at 16 instead of 25: the two aged 16 and 17 close, their open items become missed."""
    change = preview(db, "checklist_closes_at_age = { years = 16 }\n", "close-at-16.toml")
    assert change.summary.closed == 2 and change.summary.missed > 0
    assert any(line.startswith("Of these, ") and "2 checklists would close" in line for line in preview_lines(change))

    result = apply_rules_change(db, change)

    assert counts(result.summary) == counts(change.summary)
    assert (result.summary.missed, result.summary.closed) == (change.summary.missed, change.summary.closed)
    closed = db.read(lambda session: [p.id for p in session.exec(select(Patient)).all() if p.checklist_closed_on])
    assert sorted(closed) == sorted(patient_ids[3:])
    assert "2 checklists closed)" in regeneration_line(result)


def test_archived_patients_are_left_out(db: Database, patient_ids: list[int]) -> None:
    db.write(archive_patient, patient_ids[0])
    change = preview(db, NORTHSHIRE_RULES, "northshire.toml")
    assert change.summary.patients == len(patient_ids) - 1
    apply_rules_change(db, change)
    assert patient_ids[0] not in {item.patient_id for item in db.read(items_of, "northshire_welcome_pack")}


def test_wrong_rules_are_refused_before_anything_is_counted(db: Database, patient_ids: list[int]) -> None:
    with pytest.raises(RulesError, match="brand_new"):
        preview(db, '[[milestone]]\nid = "brand_new"\n', "bad.toml")


def test_the_preview_in_words(db: Database) -> None:
    empty = preview(db, NORTHSHIRE_RULES, "northshire.toml")
    assert preview_lines(empty)[1:] == ["No patients yet: nothing to regenerate."]
    assert preview_lines(empty)[0].startswith("Rules: northshire.toml, layered on the shipped rules (")

    db.write(add_patients, BIRTHDAYS[:2])
    regenerate_everyone(db, load_rules())
    lines = preview_lines(preview(db, NORTHSHIRE_RULES, "northshire.toml"))
    assert lines[1] == "Regenerating 2 patients' checklists would change 2 of them."
    assert lines[2].startswith("Items: 2 added, 2 moved to a new date, ")
    assert preview_lines(preview(db, None))[1] == "Regenerating 2 patients' checklists would change nothing."


def test_storing_rules_with_no_patients_yet(db: Database) -> None:
    result = apply_rules_change(db, preview(db, NORTHSHIRE_RULES, "northshire.toml"))
    assert regeneration_line(result) == "No patients yet: no checklists to regenerate."
    assert service_details(db).milestone_rules_name == "northshire.toml"
