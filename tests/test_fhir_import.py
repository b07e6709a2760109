"""``coordinator-tui fhir import FILE|DIR [--dry-run]`` (issue 21): FHIR R4 Bundles (as ``fhir export`` writes them)
and single Patient resources from another system, through the spreadsheet import's plan and apply. SQLite and
PostgreSQL. Fictional people only (NHS numbers in the 999 test range)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import select

from coordinator_tui.db import Database, open_database
from coordinator_tui.export.fhir.ids import NHS_NUMBER_SYSTEM
from coordinator_tui.export.fhir.service import export_fhir
from coordinator_tui.models import (
    AuditEvent,
    CareTeamMember,
    Contact,
    ContactRelationship,
    ImportedValues,
    Patient,
    Professional,
    TransitionItem,
)
from coordinator_tui.services.imports.fhir_import import import_fhir
from tests.cli_helpers import cli, one_line
from tests.conftest import copy_database
from tests.import_data import nhs_numbers

pytestmark = pytest.mark.both_databases

#: What the round trip compares: what the app imports. Appointments are not imported (clinics are planned in the
#: app), and the CarePlan and its Tasks are the checklist the app makes from its rules and the patient's facts.
COMPARED = ("Patient", "RelatedPerson", "Practitioner", "PractitionerRole", "CareTeam")
NHS = nhs_numbers(6, start=812_000)


def _counts(db: Database) -> dict[str, int]:
    tables = (Patient, Contact, Professional, CareTeamMember, ImportedValues, AuditEvent, TransitionItem)
    with db.session() as session:
        return {
            t.__name__: session.exec(sa.select(sa.func.count()).select_from(t)).one()[0]  # type: ignore[call-overload]
            for t in tables
        }


def _export(db: Database, out: Path) -> dict[str, dict[str, Any]]:
    """Every patient's Bundle, by NHS number."""
    bundles = {}
    for path in export_fhir(db, out, None):
        data = json.loads(path.read_text(encoding="utf-8"))
        Bundle.model_validate(data)  # every Bundle parses with fhir.resources
        patient = data["entry"][0]["resource"]
        nhs = next(i["value"] for i in patient["identifier"] if i["system"] == NHS_NUMBER_SYSTEM)
        bundles[nhs] = data
    return bundles


def _label(resource: dict[str, Any], by_url: dict[str, dict[str, Any]]) -> str:
    """A resource named by what it holds, not by its id (the ids are made from the database's record ids)."""
    kind = resource["resourceType"]
    if kind == "Patient":
        return f"Patient {resource['identifier'][0]['value']}"
    if kind == "RelatedPerson":
        return f"RelatedPerson {resource['name'][0]['text']}"
    if kind == "Practitioner":
        name = resource["name"][0]
        email = [t["value"] for t in resource.get("telecom", []) if t["system"] == "email"]
        return f"Practitioner {name['family']} {name['given']} {email}"
    if kind == "PractitionerRole":
        return f"Role of {_label(by_url[resource['practitioner']['reference']], by_url)}"
    return kind


def _comparable(bundle: dict[str, Any]) -> list[tuple[str, Any]]:
    """The compared resources with every id and reference replaced by its resource's label; the Practitioners
    only an Appointment refers to are left out (appointments are not imported)."""
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    labels = {url: _label(r, by_url) for url, r in by_url.items() if r["resourceType"] in COMPARED}
    in_team = {p["member"]["reference"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CareTeam"
               for p in e["resource"].get("participant", [])}  # fmt: skip
    in_team |= {by_url[url]["practitioner"]["reference"] for url in in_team}

    def relabel(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: labels.get(v, v) if k == "reference" else relabel(v) for k, v in value.items() if k != "id"}
        if isinstance(value, list):
            return [relabel(v) for v in value]
        return value

    kept = []
    for url, resource in by_url.items():
        if resource["resourceType"] not in COMPARED:
            continue
        if resource["resourceType"] in ("Practitioner", "PractitionerRole") and url not in in_team:
            continue
        kept.append((labels[url], relabel(resource)))
    return sorted(kept, key=lambda pair: pair[0])


def test_round_trip_every_demo_patient(db: Database, demo_template: Path, tmp_path: Path) -> None:
    """Export every demo patient, import into an empty database, export again: every compared resource is the
    same field for field, modulo ids (Bundle.id, each resource's id and fullUrl, and so every reference: they are
    uuid5 of the record's database id, which the new database assigns) and the Bundle's timestamp. Appointments,
    the CarePlan and its Tasks are not imported (see COMPARED)."""
    source = open_database(str(copy_database(demo_template, tmp_path / "source.db")))
    try:
        first = _export(source, tmp_path / "first")
    finally:
        source.dispose()
    assert len(first) == 40
    report = import_fhir(db, tmp_path / "first")
    assert report.written and not report.problems, report.problems
    assert report.counts["review"] == 0 and report.counts["conflict"] == 0
    assert any("appointments not imported: clinics are planned in the app" in line for line in report.lines)
    second = _export(db, tmp_path / "second")
    assert second.keys() == first.keys()
    compared = 0
    for nhs, bundle in first.items():
        before, after = _comparable(bundle), _comparable(second[nhs])
        assert after == before, nhs
        compared += len(before)
    assert compared > 40 * 3  # patients, families, professionals and care teams were all compared
    # Every record imported is audited with the file's name and sha256.
    with db.session() as session:
        tags = [json.loads(e.after).get("imported_from", "") for e in session.exec(select(AuditEvent)).all()]
    assert tags and all(t.startswith("patient-") and "(sha256 " in t for t in tags if t)
    # Re-importing the same files changes nothing.
    counts = _counts(db)
    again = import_fhir(db, tmp_path / "first")
    assert again.written and again.counts["create"] == 0 and again.counts["update"] == 0
    assert again.counts["conflict"] == 0 and again.counts["unchanged"] > 0
    assert _counts(db) == counts


def _patient(nhs: str, *, birth: str = "2011-05-17", family: str = "Fictionalperson") -> dict[str, Any]:
    """A Patient as another system might write it: extra identifiers, several given names, an address in lines,
    an extension the app has no place for."""
    return {
        "resourceType": "Patient",
        "id": "other-system-42",
        "identifier": [
            {"system": "https://example.org/other-system/mrn", "value": "X-1", "type": {"coding": [{"code": "XX"}]}},
            {"system": NHS_NUMBER_SYSTEM, "value": nhs},
            {
                "system": "https://example.org/hospital",
                "value": "FICT0912",
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
            },
        ],
        "name": [
            {"use": "usual", "given": ["Testy"], "family": family},
            {"use": "official", "given": ["Testina", "Mae"], "family": family},
        ],
        "gender": "female",
        "birthDate": birth,
        "telecom": [
            {"system": "email", "value": "testina.fictional@example.org"},
            {"system": "phone", "value": "07700 900321", "rank": 1},
        ],
        "address": [{"line": ["1 Imaginary Road"], "city": "Testtown", "postalCode": "ZZ99 9ZZ"}],
        "communication": [{"language": {"coding": [{"code": "cy", "display": "Welsh"}]}, "preferred": True}],
    }


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_patient_from_another_system(db: Database, tmp_path: Path) -> None:
    file = _write(tmp_path / "other.json", _patient(NHS[0]))
    report = import_fhir(db, file)
    assert report.written and not report.problems and report.counts["create"] == 2  # the patient and own entry
    with db.session() as session:
        patient = session.exec(select(Patient).where(Patient.nhs_number == NHS[0])).one()
        assert (patient.given_name, patient.family_name) == ("Testina Mae", "Fictionalperson")
        assert patient.hospital_number == "FICT0912" and patient.date_of_birth.isoformat() == "2011-05-17"
        assert patient.interpreter_language == "Welsh"
        own = session.exec(select(Contact).where(Contact.patient_id == patient.id)).one()
        assert own.relationship is ContactRelationship.SELF and own.phone and own.email
        assert own.address == "1 Imaginary Road, Testtown, ZZ99 9ZZ"
        assert session.exec(select(TransitionItem).where(TransitionItem.patient_id == patient.id)).first()
        tags = {(e.entity, json.loads(e.after).get("imported_from")) for e in session.exec(select(AuditEvent)).all()}
    tag = f"other.json (sha256 {report_sha(file)})"
    assert {("patient", tag), ("contact", tag)} <= tags  # the records; the checklist is the engine's, as ever
    assert {entity for entity, _tag in tags} == {"patient", "contact", "transitionitem"}
    # The app calls the patient's own entry otherwise: the file's phone is compared with it, not added again.
    with db.session() as session:
        own = session.exec(select(Contact)).one()
        own.name, own.phone = "Testina (own phone)", "07700 900999"
        session.add(own)
    again = import_fhir(db, file)
    assert again.written and again.counts["create"] == 0 and again.counts["conflict"] == 1
    assert any("phone is '07700 900999' in the app, '07700 900321' in the file" in line for line in again.lines)
    assert _counts(db)["Contact"] == 1


def report_sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dry_run_writes_nothing(db: Database, tmp_path: Path) -> None:
    before = _counts(db)
    report = import_fhir(db, _write(tmp_path / "p.json", _patient(NHS[1])), dry_run=True)
    assert not report.written and not report.problems and report.counts["create"] == 2
    assert report.summary().endswith("dry run: nothing written")
    assert any(line.startswith("create: p.json, Patient/other-system-42, patients:") for line in report.lines)
    assert _counts(db) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "bad.json: not a JSON file (line 1, column 2)"),
        (json.dumps({"resourceType": "Observation", "status": "final"}), "resourceType 'Observation': import reads"),
        (json.dumps({"resourceType": "Bundle", "type": "transaction"}), "Bundle type 'transaction'"),
        (json.dumps({"resourceType": "Patient", "birthDate": "17 May 2011"}), "Patient/, birthDate:"),
    ],
)
def test_a_bad_file_names_the_problem_and_writes_nothing(
    db: Database, tmp_path: Path, content: str, expected: str
) -> None:
    good = _write(tmp_path / "a-good.json", _patient(NHS[2]))  # a good file with it: nothing of it is written
    (tmp_path / "bad.json").write_text(content, encoding="utf-8")
    before = _counts(db)
    report = import_fhir(db, tmp_path)
    assert not report.written and len(report.problems) == 1, report.problems
    assert expected in report.problems[0]
    assert report.summary() == "1 problem in 2 files: nothing imported"
    assert _counts(db) == before and good.exists()


def test_an_invalid_nhs_number_is_named_with_its_resource_and_element(db: Database, tmp_path: Path) -> None:
    bad = NHS[3][:-1] + str((int(NHS[3][-1]) + 1) % 10)
    before = _counts(db)
    report = import_fhir(db, _write(tmp_path / "p.json", _patient(bad)))
    assert not report.written
    assert report.problems == [
        f"p.json: Patient/other-system-42, identifier (system {NHS_NUMBER_SYSTEM}): "
        + report.problems[0].split("): ", 1)[1]
    ]
    assert "check digit" in report.problems[0] or "not a valid NHS number" in report.problems[0]
    assert _counts(db) == before


def _bundle_of(db: Database, tmp_path: Path) -> Path:
    """A Bundle exported from a patient with a family contact and a named worker, the database then emptied of
    them (so it can be imported back)."""
    from coordinator_tui.services.people import care_team, contacts, patients, professionals

    with db.session() as session:
        patient = patients.create_patient(
            session,
            patients.parse_patient_form(
                {
                    "nhs_number": NHS[4],
                    "hospital_number": "FICT0913",
                    "given_name": "Testkid",
                    "family_name": "Bundlefamily",
                    "date_of_birth": "03/02/2010",
                }
            ),
        )
        contacts.create_contact(
            session, patient.id, contacts.parse_contact_form({"name": "Alex Bundlefamily", "phone": "07700 900111"})
        )
        worker = professionals.create_professional(
            session,
            professionals.parse_professional_form(
                {
                    "given_name": "Quinn",
                    "family_name": "Testnurse",
                    "discipline": "cardiology",
                    "email": "quinn.testnurse@nhs.example",
                }
            ),
        )
        care_team.add_member(session, patient.id, worker.id, {"role": "Transition nurse", "is_named_worker": True})
    (path,) = export_fhir(db, tmp_path / "out", None)
    return path


def test_same_nhs_number_with_another_birth_date_goes_to_the_review_list(db: Database, tmp_path: Path) -> None:
    path = _bundle_of(db, tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["entry"][0]["resource"]["birthDate"] = "2010-02-04"
    changed = _write(tmp_path / "changed.json", data)
    before = _counts(db)
    report = import_fhir(db, changed)
    assert report.written and not report.problems and report.counts["review"] == 1
    review = [line for line in report.lines if line.startswith("to review: ")]
    assert len(review) == 1 and "registered to patient" in review[0] and "not merged" in review[0]
    assert review[0].startswith("to review: changed.json, entry 1 (Patient/")
    skipped = [line for line in report.lines if line.startswith("not imported: ")]
    assert len(skipped) == 2 and all("its patient is on the review list" in line for line in skipped)
    after = _counts(db)
    assert after["Patient"] == before["Patient"] and after["Contact"] == before["Contact"]
    assert after["CareTeamMember"] == before["CareTeamMember"]
    with db.session() as session:
        assert session.exec(select(Patient)).one().date_of_birth.isoformat() == "2010-02-03"


def test_a_bundle_into_an_empty_database_then_a_conflict(db: Database, tmp_path: Path) -> None:
    path = _bundle_of(db, tmp_path)
    saved = shutil.copy(path, tmp_path / "saved.json")
    with db.session() as session:
        for table in (CareTeamMember, Contact, TransitionItem, ImportedValues):
            session.execute(sa.delete(table))
        session.execute(sa.delete(Patient))
        session.execute(sa.delete(Professional))
    report = import_fhir(db, Path(saved))
    assert report.written and report.counts["create"] == 4, report.lines  # patient, professional, contact, member
    with db.session() as session:
        member = session.exec(select(CareTeamMember)).one()
        assert member.is_named_worker and member.role == "Transition nurse"
        contact = session.exec(select(Contact)).one()
        assert (contact.name, contact.phone) == ("Alex Bundlefamily", "07700 900111")
        # The app changes the contact's phone; the same file again reports a conflict and keeps the app's.
        contact.phone = "07700 900222"
        session.add(contact)
    again = import_fhir(db, Path(saved))
    assert again.written and again.counts["conflict"] == 1
    assert any(line.startswith("conflict: saved.json, entry 2 (RelatedPerson/") for line in again.lines)
    with db.session() as session:
        assert session.exec(select(Contact)).one().phone == "07700 900222"


def test_completed_tasks_the_app_has_not_done_are_noted_not_changed(db: Database, tmp_path: Path) -> None:
    from coordinator_tui.services.transition.checklists import rules_for_saving
    from coordinator_tui.services.transition.engine import regenerate_patients

    _bundle_of(db, tmp_path)
    rules = rules_for_saving(db).rules
    assert rules is not None
    with db.session() as session:
        regenerate_patients(session, list(session.exec(select(Patient.id)).all()), rules)  # the patient's checklist
    (path,) = export_fhir(db, tmp_path / "with-checklist", None)
    data = json.loads(path.read_text(encoding="utf-8"))
    tasks = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Task"]
    assert tasks
    tasks[0]["status"] = "completed"
    data["entry"][0]["resource"]["active"] = False
    report = import_fhir(db, _write(tmp_path / "done.json", data))
    assert report.written and not report.problems
    notes = [line for line in report.lines if line.startswith("note: ")]
    assert len(notes) == 2 and f"'{tasks[0]['description']}' is completed in the file, todo in the app" in notes[0]
    assert notes[1].startswith("note: done.json, entry 1 (Patient/") and "inactive in the file" in notes[1]
    with db.session() as session:
        item = session.exec(select(TransitionItem).where(TransitionItem.title == tasks[0]["description"])).first()
        assert item is not None and item.status.value != "done"


def test_the_command(db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path / "p.json", _patient(NHS[5]))
    code, out, _err = cli(capsys, "fhir", "import", str(file), "--dry-run", "--db", db_url)
    assert code == 0 and out.strip().endswith("dry run: nothing written")
    assert _counts(db)["Patient"] == 0
    code, out, _err = cli(capsys, "fhir", "import", str(file), "--db", db_url)
    assert code == 0 and out.strip().splitlines()[-1].startswith("imported 1 file: 2 created")
    assert _counts(db)["Patient"] == 1
    (tmp_path / "bad.json").write_text("[]", encoding="utf-8")
    code, out, err = cli(capsys, "fhir", "import", str(tmp_path / "bad.json"), "--db", db_url)
    assert code == 1 and out.startswith("problem: bad.json: not a FHIR resource")
    assert one_line(err) == "coordinator-tui: 1 problem in 1 file: nothing imported"
    code, _out, err = cli(capsys, "fhir", "import", str(tmp_path / "missing.json"), "--db", db_url)
    assert code == 1 and "no file" in one_line(err) and "nothing imported" in err


def test_a_professional_in_the_team_twice_imports_the_current_membership(db: Database, tmp_path: Path) -> None:
    """An ended membership and a current one of the same professional (they left and came back): the current one
    is imported, the earlier one noted; the Bundle is not refused as a repeated row."""
    path = _bundle_of(db, tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    team = next(e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "CareTeam")
    current = team["participant"][0]
    earlier = {**current, "role": [{"text": "Ward nurse"}], "period": {"start": "2019-01-01", "end": "2020-06-30"}}
    team["participant"] = [earlier, current]
    with db.session() as session:
        session.execute(sa.delete(CareTeamMember))
    report = import_fhir(db, _write(tmp_path / "twice.json", data))
    assert report.written and not report.problems, report.problems
    notes = [line for line in report.lines if "earlier membership" in line]
    assert len(notes) == 1 and ", participant 1: " in notes[0] and "(participant 2)" in notes[0]
    with db.session() as session:
        member = session.exec(select(CareTeamMember)).one()
        assert member.role == "Transition nurse" and member.end_date is None and member.is_named_worker


def test_a_database_is_never_read_as_a_fhir_file(db: Database, tmp_path: Path) -> None:
    """A database named as the file (even as .json, or in the folder) is refused before a byte is read."""
    import re

    from coordinator_tui.services.imports.reading import ImportFileError

    (tmp_path / "in").mkdir()
    open_database(str(tmp_path / "in" / "records.json"), create=True).dispose()
    before = _counts(db)
    for target in (tmp_path / "in" / "records.json", tmp_path / "in"):
        with pytest.raises(ImportFileError, match=re.escape("records.json is a database, not a file to import")):
            import_fhir(db, target)
    assert _counts(db) == before
