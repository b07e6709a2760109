"""The service's what-to-bring list and secure-email marker: checked, versioned and audited like the other details,
from the domain and from ``coordinator-tui service set``; the itineraries and email drafts use them."""

from __future__ import annotations

import email.parser
from email import policy
from pathlib import Path

import pytest
from sqlmodel import col, select

from coordinator_tui.db import Database
from coordinator_tui.export import export_itineraries
from coordinator_tui.models import AuditEvent, Service
from coordinator_tui.services import service_details as service
from coordinator_tui.services.errors import ConcurrentEditError
from coordinator_tui.services.itineraries.itinerary import DEFAULT_WHAT_TO_BRING
from coordinator_tui.validation import ValidationError
from tests.cli_helpers import cli, one_line
from tests.export_data import seed_clinic
from tests.postgres_server import both_databases

pytestmark = both_databases


def stored(db: Database) -> Service:
    with db.read_session() as s:
        return s.exec(select(Service)).one()


def audited(db: Database) -> int:
    with db.read_session() as s:
        return len(s.exec(select(AuditEvent).where(col(AuditEvent.entity) == "service")).all())


def test_what_to_bring_one_item_a_line_and_the_marker_saved_versioned_and_audited(db: Database) -> None:
    details = service.service_details(db)
    assert details.what_to_bring == "" and details.secure_email_marker == ""
    rows = dict(service.details_rows(details))
    assert rows["What to bring"] == "(the defaults) " + "; ".join(DEFAULT_WHAT_TO_BRING)
    assert rows["Secure email marker"].startswith("(none")

    form = {
        "what_to_bring": "- Medicines\r\n\n  * Wheelchair  \nSnacks for a long day",
        "secure_email_marker": " [secure] ",
    }
    change = service.save_service_details(db, form, expected_version=details.version)
    row = stored(db)
    assert row.what_to_bring == "Medicines\nWheelchair\nSnacks for a long day"  # one a line, no bullets or blanks
    assert row.secure_email_marker == "[secure]"
    assert ("What to bring (one a line)", "(the defaults) " + "; ".join(DEFAULT_WHAT_TO_BRING),
            "Medicines; Wheelchair; Snacks for a long day") in change.changed  # fmt: skip
    assert ("Secure email marker", "(none)", "[secure]") in change.changed
    assert audited(db) >= 1
    with pytest.raises(ConcurrentEditError):  # a save made after someone else's is refused
        service.save_service_details(db, {"secure_email_marker": "[x]"}, expected_version=details.version)
    back = service.save_service_details(db, {"what_to_bring": ""}, expected_version=row.version)
    assert stored(db).what_to_bring == "" and back.details.version == row.version + 1


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"what_to_bring": "\n".join(f"Item {n}" for n in range(13))}, "what_to_bring", "13 items; at most 12"),
        ({"what_to_bring": "x" * 121}, "what_to_bring", "item 1 is too long (121 characters; at most 120)"),
        ({"what_to_bring": "Medicines\u202e"}, "what_to_bring", "right-to-left override"),
        ({"secure_email_marker": "[secure]\nBcc: x@evil.example"}, "secure_email_marker", ""),
        ({"secure_email_marker": "x" * 41}, "secure_email_marker", "at most 40"),
    ],
)
def test_wrong_values_are_refused_and_nothing_written(
    db: Database, form: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        service.save_service_details(db, form, expected_version=0)
    assert field in info.value.errors and message in info.value.errors[field]
    assert db.read(service.find_service) is None


def test_the_itineraries_and_drafts_use_them(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        seed = seed_clinic(session)
        row = session.get(Service, seed.service_id)
        assert row is not None
        row.what_to_bring, row.secure_email_marker = "Wheelchair\nSnacks for a long day", "OFFICIAL-SENSITIVE"
        session.add(row)
        session.commit()
    paths = export_itineraries(db, seed.clinic_id, seed.patient_id, tmp_path, ["txt", "eml"])
    text = paths[0].read_text()
    assert "Wheelchair" in text and "Snacks for a long day" in text and DEFAULT_WHAT_TO_BRING[0] not in text
    draft = email.parser.BytesParser(policy=policy.default).parsebytes(paths[1].read_bytes())
    assert draft["Subject"] == "OFFICIAL-SENSITIVE Clinic visit 29–30 Mar 2027"


def test_service_set_bring_and_marker_from_the_command_line(
    db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "service", "set", "--db", db_url, "--bring", "Medicines", "--bring", "Wheelchair",
                         "--secure-marker", "[secure]")  # fmt: skip
    assert (code, err) == (0, "")
    assert "What to bring (one a line): (the defaults) " in out and "-> Medicines; Wheelchair" in out
    assert "Secure email marker: (none) -> [secure]" in out
    assert (stored(db).what_to_bring, stored(db).secure_email_marker) == ("Medicines\nWheelchair", "[secure]")
    code, out, _err = cli(capsys, "service", "show", "--db", db_url)
    assert "What to bring:" in out and "Medicines; Wheelchair" in out and "[secure]" in out
    code, out, _err = cli(capsys, "service", "set", "--db", db_url, "--bring-defaults", "--secure-marker", "")
    assert code == 0 and stored(db).what_to_bring == "" and stored(db).secure_email_marker == ""
    before = (stored(db).version, audited(db))
    code, out, err = cli(capsys, "service", "set", "--db", db_url, "--bring", "x" * 121)
    assert (code, out) == (2, "") and "--bring: item 1 is too long" in one_line(err)
    code, out, err = cli(capsys, "service", "set", "--db", db_url, "--bring", " ")
    assert (code, out) == (2, "") and "--bring: give each item as one line of text" in one_line(err)
    assert (stored(db).version, audited(db)) == before
