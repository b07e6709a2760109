"""The itinerary as an unsent email draft (.eml), parsed back with the standard library's email parser."""

from __future__ import annotations

import email.parser
import stat
from email import policy
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
from sqlmodel import Session, select

from coordinator_tui.db import Database
from coordinator_tui.export import export_itineraries
from coordinator_tui.export.eml import Recipient, render_eml, subject_line
from coordinator_tui.export.service import export_for_screen
from coordinator_tui.models import Contact, Patient, Service
from tests.cli_helpers import cli
from tests.export_data import OTHER_FAMILY_MARKERS, SECRET_MARKERS, hostile_itinerary, seed_clinic
from tests.postgres_server import both_databases, target_of

pytestmark = both_databases


def parse(path: Path) -> EmailMessage:
    message = email.parser.BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    return message


def _family_contacts(session: Session, patient_id: int) -> None:
    """Two contacts with email who receive the itinerary, one who does not, one with no address."""
    for contact in session.exec(select(Contact).where(Contact.patient_id == patient_id)).all():
        session.delete(contact)
    session.add_all(
        [
            Contact(patient_id=patient_id, name="Zoë Testparent", email="zoe.testparent@mail.example"),
            Contact(patient_id=patient_id, name="Sam Testparent", email="sam.testparent@mail.example"),
            Contact(
                patient_id=patient_id,
                name="Not Toreceive",
                email="not.toreceive@mail.example",
                receives_itinerary=False,
            ),
            Contact(patient_id=patient_id, name="No Address", phone="07700 900123"),
        ]
    )
    session.flush()


def test_the_draft_is_addressed_to_the_family_with_both_bodies_and_the_calendar_attached(
    session: Session, tmp_path: Path
) -> None:
    seed = seed_clinic(session)
    _family_contacts(session, seed.patient_id)
    service = session.get(Service, seed.service_id)
    assert service is not None
    service.secure_email_marker = "[secure]"
    session.add(service)
    session.flush()

    paths = export_itineraries(session, seed.clinic_id, seed.patient_id, tmp_path, ["eml"])
    assert [p.name for p in paths] == [f"2027-03-29_family-p{seed.patient_id}.eml"]
    assert stat.S_IMODE(paths[0].stat().st_mode) == 0o600  # owner-only, like every export
    message = parse(paths[0])

    assert [a.addr_spec for a in message["To"].addresses] == [
        "zoe.testparent@mail.example",
        "sam.testparent@mail.example",
    ]
    assert message["To"].addresses[0].display_name == "Zoë Testparent"
    assert message["Subject"] == "[secure] Clinic visit 29–30 Mar 2027"
    assert "Ava" not in message["Subject"] and "Alström" not in message["Subject"]
    assert message["X-Unsent"] == "1"
    assert message["From"] is None  # the coordinator's mail program fills in their own mailbox

    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "Ophthalmology" in text.get_content() or "Eye" in text.get_content()
    assert html.get_content().lstrip().lower().startswith("<!doctype html>")

    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    calendar = attachments[0]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "PUBLISH"
    assert calendar.get_filename() == "clinic-visit-2027-03-29.ics"
    data = calendar.get_payload(decode=True)
    assert isinstance(data, bytes)
    parsed = icalendar.Calendar.from_ical(data)
    assert parsed.walk("VEVENT"), "the attachment is a calendar with events"

    raw = paths[0].read_bytes().decode("utf-8", errors="replace")
    decoded = text.get_content() + html.get_content() + data.decode("utf-8")
    for marker in [*SECRET_MARKERS.values(), *OTHER_FAMILY_MARKERS.values(), "not.toreceive@mail.example"]:
        assert marker not in raw and marker not in decoded, marker


def test_no_email_address_means_no_draft_one_line_and_the_other_files_still_written(
    db: Database, tmp_path: Path
) -> None:
    with db.session() as session:
        seed = seed_clinic(session)
        for contact in session.exec(select(Contact).where(Contact.patient_id == seed.patient_id)).all():
            contact.email = ""
            session.add(contact)
        session.commit()
    outcome = export_for_screen(db, seed.clinic_id, seed.patient_id, tmp_path, ("ics", "txt", "eml"), False)
    assert outcome.error is None
    assert sorted(p.suffix for p in outcome.paths) == [".ics", ".txt"]
    assert len(outcome.notes) == 1 and "\n" not in outcome.notes[0]
    assert outcome.notes[0].startswith(f"no email draft for Testperson, Ava (patient {seed.patient_id}): ")


def test_each_family_gets_its_own_draft_with_its_own_calendar(session: Session, tmp_path: Path) -> None:
    """A whole clinic: each draft goes to its own family's contacts and carries its own family's calendar only."""
    seed = seed_clinic(session)
    other_contact = session.exec(select(Contact).where(Contact.patient_id == seed.other_patient_id)).one()
    other_contact.email = "other.family@mail.example"
    session.add(other_contact)
    session.flush()
    paths = export_itineraries(session, seed.clinic_id, None, tmp_path, ["eml"])
    by_patient = {int(p.stem.rsplit("-p", 1)[1]): parse(p) for p in paths}
    assert set(by_patient) == {seed.patient_id, seed.other_patient_id}
    mine, theirs = by_patient[seed.patient_id], by_patient[seed.other_patient_id]
    assert [a.addr_spec for a in mine["To"].addresses] == [SECRET_MARKERS["contact_email"]]
    assert [a.addr_spec for a in theirs["To"].addresses] == ["other.family@mail.example"]
    other_patient = session.get(Patient, seed.other_patient_id)
    assert other_patient is not None
    for message, stranger in ((mine, other_patient.given_name), (theirs, "Ava")):
        for part in message.walk():
            if part.get_content_maintype() != "multipart":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                assert stranger not in payload.decode("utf-8")


def test_a_hostile_name_cannot_add_a_header() -> None:
    itinerary = hostile_itinerary("Eve\r\nBcc: attacker@evil.example", "x", "y")
    draft = render_eml(
        itinerary,
        [Recipient("Eve\r\nBcc: attacker@evil.example", "parent@mail.example")],
        text="t",
        html="<p>h</p>",
        ics=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        secure_marker="[secure]\r\nBcc: attacker@evil.example",
    )
    assert draft is not None
    message = email.parser.BytesParser(policy=policy.default).parsebytes(draft)
    assert message["Bcc"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["parent@mail.example"]
    assert "\n" not in str(message["Subject"])
    assert subject_line(itinerary) == "Clinic visit 28–29 Mar 2027"


def test_an_unreadable_address_is_left_out_and_none_left_means_no_draft() -> None:
    itinerary = hostile_itinerary("Eve", "x", "y")
    bodies = {"text": "t", "html": "<p>h</p>", "ics": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}
    assert render_eml(itinerary, [Recipient("A", "not an address@@")], **bodies) is None  # type: ignore[arg-type]
    draft = render_eml(itinerary, [Recipient("A", "@@"), Recipient("B", "b@mail.example")], **bodies)  # type: ignore[arg-type]
    assert draft is not None
    message = email.parser.BytesParser(policy=policy.default).parsebytes(draft)
    assert [a.addr_spec for a in message["To"].addresses] == ["b@mail.example"]


def test_the_command_writes_drafts_and_names_a_family_with_nobody_to_email(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session() as session:
        seed = seed_clinic(session)
        for contact in session.exec(select(Contact).where(Contact.patient_id == seed.other_patient_id)).all():
            contact.email = ""
            session.add(contact)
        session.commit()
    out = tmp_path / "drafts"
    code, printed, err = cli(
        capsys, "export", "--clinic", str(seed.clinic_id), "--format", "eml", "--out", str(out), "--db", target_of(db)
    )
    assert code == 0, err
    assert printed.splitlines() == [
        f"{out / f'2027-03-29_family-p{seed.patient_id}.eml'}  for Testperson, Ava (patient {seed.patient_id})"
    ]
    no_draft = [line for line in err.splitlines() if "no email draft" in line]
    assert len(no_draft) == 1 and no_draft[0].startswith(
        f"coordinator-tui: no email draft for Otherfamily, Zebedee-QXOTHER (patient {seed.other_patient_id}): "
    )
    assert [p.name for p in out.iterdir()] == [f"2027-03-29_family-p{seed.patient_id}.eml"]
