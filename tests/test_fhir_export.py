"""``coordinator-tui fhir export``: one FHIR R4 Bundle per patient that ``fhir.resources`` parses, with the NHS
number identifier, the family as RelatedPerson, the care team (roles, periods, named worker), appointments and the
transition checklist with their statuses mapped to FHIR's; stable ids; owner-only files; no internal notes; no
profile claimed. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from coordinator_tui.db import Database
from coordinator_tui.export.fhir.ids import NHS_NUMBER_SYSTEM, resource_id
from coordinator_tui.models import (
    Appointment,
    AppointmentStatus,
    CareTeamMember,
    CareTeamStatus,
    Contact,
    ContactMethod,
    ContactRelationship,
    Patient,
    TransitionItem,
    TransitionStatus,
)
from tests.cli_helpers import cli, one_line
from tests.export_data import SECRET_MARKERS, Seed, seed_clinic
from tests.postgres_server import both_databases

pytestmark = both_databases

INTERNAL = [SECRET_MARKERS[k] for k in ("patient_internal", "attendance_internal", "appointment_internal")]
CHECKLIST_NOTE = "QXSECRET-CHECKLIST-NOTE"

#: Each checklist status and the FHIR Task status it must become.
TASK_STATUSES = {
    TransitionStatus.TODO: "ready",
    TransitionStatus.IN_PROGRESS: "in-progress",
    TransitionStatus.DONE: "completed",
    TransitionStatus.NOT_APPLICABLE: "cancelled",
    TransitionStatus.MISSED: "failed",
}


@pytest.fixture
def seed(db: Database) -> Seed:
    """The seeded clinic; Ava with her own contact entry, a guardian, a care team (a named worker, an ended member)
    and a checklist step in every status, each carrying a note that must not leave."""
    with db.session() as session:
        seeded = seed_clinic(session)
        session.add_all(
            [
                Contact(
                    patient_id=seeded.patient_id,
                    name="Ava Testperson",
                    relationship=ContactRelationship.SELF,
                    phone="07700 900123",
                    email="ava@example.org",
                    address="2 Fictional Street, Nowhere NW1 0AB",
                    preferred_method=ContactMethod.EMAIL,
                ),
                Contact(patient_id=seeded.patient_id, name="Gus Guardian", relationship=ContactRelationship.GUARDIAN),
            ]
        )
        eyes, ears, heart, _diet = seeded.professional_ids
        session.add_all(
            [
                CareTeamMember(
                    patient_id=seeded.patient_id,
                    professional_id=eyes,
                    role="Lead consultant",
                    start_date=dt.date(2021, 4, 1),
                    is_named_worker=True,
                ),
                CareTeamMember(
                    patient_id=seeded.patient_id,
                    professional_id=ears,
                    start_date=dt.date(2020, 1, 1),
                    end_date=dt.date(2024, 6, 30),
                    status=CareTeamStatus.ENDED,
                ),
            ]
        )
        for index, status in enumerate(TASK_STATUSES):
            session.add(
                TransitionItem(
                    patient_id=seeded.patient_id,
                    rule_id=f"step_{index}",
                    title=f"Step {index}",
                    category="health",
                    owner_role="specialist nurse",
                    due_date=dt.date(2026, 12, 1) + dt.timedelta(days=index),
                    appears_on=dt.date(2026, 1, 1),
                    status=status,
                    status_reason="not needed: no EHCP" if status is TransitionStatus.NOT_APPLICABLE else "",
                    completed_on=dt.date(2026, 11, 1) if status is TransitionStatus.DONE else None,
                    note=CHECKLIST_NOTE,
                )
            )
        session.flush()
        _ = heart
    return seeded


def export_all(db_url: str, out: Path, capsys: pytest.CaptureFixture[str]) -> list[Path]:
    code, printed, err = cli(capsys, "fhir", "export", "--all", "--out", str(out), "--db", db_url)
    assert (code, err) == (0, ""), err
    paths = [Path(line) for line in printed.splitlines()[:-1]]
    assert printed.splitlines()[-1] == f"({len(paths)} FHIR bundles written)"
    return paths


def by_type(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle["entry"]:
        grouped.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return grouped


def references(value: object) -> list[str]:
    """Every ``reference`` in a resource, however deep."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                found += references(item)
    elif isinstance(value, list):
        for item in value:
            found += references(item)
    return found


def test_every_patient_gets_a_bundle_fhir_resources_parses(
    seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fhir"
    paths = export_all(db_url, out, capsys)
    ids = sorted([seed.patient_id, seed.other_patient_id, seed.declined_patient_id])
    assert paths == [out / f"patient-{pid}.json" for pid in ids]  # by id, never a name
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text(encoding="utf-8")
        for marker in [*INTERNAL, CHECKLIST_NOTE]:
            assert marker not in text, (path.name, marker)
        assert '"profile"' not in text  # no UK Core claim: not validated against it
        bundle = Bundle.model_validate_json(text)  # fhir.resources parses it
        assert bundle.type == "collection"
        data = json.loads(text)
        full_urls = {e["fullUrl"] for e in data["entry"]}
        assert len(full_urls) == len(data["entry"])
        for entry in data["entry"]:
            assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
            for ref in references(entry["resource"]):
                assert ref in full_urls, (entry["resource"]["resourceType"], ref)  # every reference resolves


def test_the_patient_family_and_care_team(
    db: Database, seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(
        capsys, "fhir", "export", "--patient", str(seed.patient_id), "--out", str(tmp_path), "--db", db_url
    )
    assert (code, err) == (0, "") and out.endswith("(1 FHIR bundle written)\n")
    data = json.loads((tmp_path / f"patient-{seed.patient_id}.json").read_text(encoding="utf-8"))
    resources = by_type(data)
    with db.session() as session:
        patient = session.get(Patient, seed.patient_id)
        assert patient is not None
        nhs_number = patient.nhs_number
    [fhir_patient] = resources["Patient"]
    assert fhir_patient["id"] == resource_id("patient", seed.patient_id)
    assert {"system": NHS_NUMBER_SYSTEM, "value": nhs_number} in fhir_patient["identifier"]
    assert fhir_patient["name"] == [{"use": "official", "family": "Testperson", "given": ["Ava"]}]
    assert fhir_patient["birthDate"] == "2012-05-17"
    assert {"system": "email", "value": "ava@example.org", "rank": 1} in fhir_patient["telecom"]
    assert fhir_patient["address"] == [{"use": "home", "text": "2 Fictional Street, Nowhere NW1 0AB"}]

    related = {r["name"][0]["text"]: r for r in resources["RelatedPerson"]}
    assert set(related) == {"Parent of Ava", "Gus Guardian"}  # her own entry is the Patient's, not a relation
    assert related["Parent of Ava"]["relationship"][0]["coding"][0]["code"] == "PRN"
    assert related["Gus Guardian"]["relationship"][0]["coding"][0]["code"] == "GUARD"
    assert related["Parent of Ava"]["patient"] == {"reference": f"urn:uuid:{fhir_patient['id']}"}

    [team] = resources["CareTeam"]
    assert team["status"] == "active" and team["subject"]["reference"] == f"urn:uuid:{fhir_patient['id']}"
    eyes, ears, *_ = seed.professional_ids
    members = {p["member"]["reference"]: p for p in team["participant"]}
    lead = members[f"urn:uuid:{resource_id('professional-role', eyes)}"]
    assert lead["role"] == [{"text": "Lead consultant"}, {"text": "Named worker"}]
    assert lead["period"] == {"start": "2021-04-01"}
    ended = members[f"urn:uuid:{resource_id('professional-role', ears)}"]
    assert ended["role"] == [{"text": "Audiology"}]
    assert ended["period"] == {"start": "2020-01-01", "end": "2024-06-30"}
    roles = {r["id"]: r for r in resources["PractitionerRole"]}
    assert roles[resource_id("professional-role", eyes)]["specialty"] == [{"text": "Ophthalmology"}]
    names = {p["id"]: p["name"][0] for p in resources["Practitioner"]}
    assert names[resource_id("professional", eyes)]["prefix"] == ["Dr"]


def test_appointments_and_the_checklist_with_fhir_statuses(
    db: Database, seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session() as session:
        arrived, noshow = seed.appointment_ids[1], seed.appointment_ids[2]
        for appointment_id, status in ((arrived, AppointmentStatus.ARRIVED), (noshow, AppointmentStatus.NOSHOW)):
            row = session.get(Appointment, appointment_id)
            assert row is not None
            row.status = status
            session.add(row)
        expected = {
            resource_id("appointment", a.id or 0): a.status.value
            for a in (session.get(Appointment, i) for i in seed.appointment_ids)
            if a is not None
        }
    export_all(db_url, tmp_path, capsys)
    data = json.loads((tmp_path / f"patient-{seed.patient_id}.json").read_text(encoding="utf-8"))
    resources = by_type(data)
    statuses = {a["id"]: a["status"] for a in resources["Appointment"]}
    assert statuses == expected  # every appointment of hers, once, and only hers
    assert set(statuses.values()) == {"booked", "arrived", "noshow", "cancelled", "proposed"}
    first = next(a for a in resources["Appointment"] if a["id"] == resource_id("appointment", seed.appointment_ids[0]))
    assert first["start"] == "2027-03-29T09:30:00+01:00" and first["end"] == "2027-03-29T10:15:00+01:00"
    assert first["minutesDuration"] == 45 and first["serviceType"] == [{"text": "Ophthalmology"}]
    actors = [p["actor"] for p in first["participant"]]
    assert {"reference": f"urn:uuid:{resource_id('patient', seed.patient_id)}"} in actors
    assert {"reference": f"urn:uuid:{resource_id('professional', seed.professional_ids[0])}"} in actors
    proposed = next(a for a in resources["Appointment"] if a["status"] == "proposed")
    assert {p["status"] for p in proposed["participant"]} == {"needs-action"}

    [plan] = resources["CarePlan"]
    assert plan["status"] == "active" and plan["intent"] == "plan"
    tasks = {t["description"]: t for t in resources["Task"]}
    assert [t["reference"]["reference"] for t in plan["activity"]] == [f"urn:uuid:{t['id']}" for t in resources["Task"]]
    for index, status in enumerate(TASK_STATUSES.values()):
        task = tasks[f"Step {index}"]
        assert task["status"] == status
        assert task["restriction"]["period"]["end"] == (dt.date(2026, 12, 1) + dt.timedelta(days=index)).isoformat()
        assert task["owner"] == {"display": "specialist nurse"}
        assert task["basedOn"] == [{"reference": f"urn:uuid:{plan['id']}"}]
    assert tasks["Step 3"]["statusReason"] == {"text": "not needed: no EHCP"}
    assert tasks["Step 2"]["executionPeriod"] == {"end": "2026-11-01"}


def test_ids_are_stable_from_one_export_to_the_next(
    seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = export_all(db_url, tmp_path / "one", capsys)
    second = export_all(db_url, tmp_path / "two", capsys)

    def ids(path: Path) -> list[str]:
        return [e["resource"]["id"] for e in json.loads(path.read_text(encoding="utf-8"))["entry"]]

    for a, b in zip(first, second, strict=True):
        assert ids(a) == ids(b)
        assert a.read_bytes() == b.read_bytes()  # the same clock: the same file


def test_an_unknown_patient_is_one_line_and_nothing_is_written(
    seed: Seed, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fhir"
    code, printed, err = cli(
        capsys,
        "fhir",
        "export",
        "--patient",
        str(seed.patient_id),
        "--patient",
        "99999",
        "--out",
        str(out),
        "--db",
        db_url,
    )
    assert code == 1 and printed == ""
    assert one_line(err) == "coordinator-tui: no patient with id 99999"
    assert not out.exists()
    code, _printed, err = cli(capsys, "fhir", "export", "--out", str(out), "--db", db_url)
    assert code == 2 and "one of the arguments --patient --all is required" in err


def test_every_demo_patient_exports_and_parses(db: Database, db_url: str, tmp_path: Path) -> None:
    """The demo data (families, care teams, past and coming clinics, checklists in every state): each patient's
    Bundle parses with fhir.resources, holds their checklist as Tasks and no internal note."""
    from sqlmodel import select

    from coordinator_tui.export.fhir.service import export_fhir
    from coordinator_tui.services.demo_data import load_demo

    with db.session() as session:
        load_demo(session, patients=8, seed=7)
    with db.session() as session:
        notes = {p.internal_notes for p in session.exec(select(Patient)).all() if p.internal_notes}
        notes |= {a.internal_notes for a in session.exec(select(Appointment)).all() if a.internal_notes}
        assert notes
        item_counts = {pid: 0 for pid in session.exec(select(Patient.id)).all()}
        for item in session.exec(select(TransitionItem)).all():
            item_counts[item.patient_id] += 1
    paths = export_fhir(db, tmp_path, None)
    assert [p.name for p in paths] == [f"patient-{pid}.json" for pid in sorted(item_counts)]
    for pid, path in zip(sorted(item_counts), paths, strict=True):
        text = path.read_text(encoding="utf-8")
        bundle = Bundle.model_validate_json(text)
        kinds = [entry.resource.get_resource_type() for entry in bundle.entry or []]
        assert kinds[0] == "Patient" and kinds.count("Task") == item_counts[pid]
        assert "Staff only" not in text
        for note in notes:
            assert note not in text
