"""A family's itinerary as an unsent email draft (``.eml``), for the coordinator to check and send from their own
mail program. Nothing here sends anything: the app has no mail server, no password, no network.

The draft is built with the standard library's ``email`` package (``EmailMessage``):

- ``To:`` the family's contacts marked to receive the itinerary who have an email address (none: no draft, and
  the export says so: ``no_recipients_text``);
- no ``From:`` (the coordinator's mail program fills in their own mailbox);
- ``Subject:`` the service's secure-email marker when it has one, then the visit ("[secure] Clinic visit 14–15 Dec
  2026"): never the child's name nor the condition, which a subject line shows in every inbox list;
- ``X-Unsent: 1``, so the file opens as a draft to send rather than as a received message;
- the body as plain text and as HTML (``multipart/alternative``: the itinerary's .txt and .html renderings) and the
  calendar file attached as ``text/calendar; method=PUBLISH`` (``clinic-visit-YYYY-MM-DD.ics``).

The itinerary holds family-facing text only (``services.itineraries.itinerary``): internal notes never reach it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage

from sqlmodel import Session, col, select

from coordinator_tui.models import Contact
from coordinator_tui.services.itineraries.itinerary import Itinerary, format_short_date_range

#: How a draft is written: the standard's CRLF line endings, header lines folded at 78 characters.
DRAFT_POLICY = policy.default.clone(linesep="\r\n")


@dataclass(frozen=True)
class Recipient:
    """A contact who receives the family's itinerary by email."""

    name: str
    email: str


def email_recipients(session: Session, patient_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Each family's contacts marked to receive the itinerary who have an email address (one query), by patient."""
    wanted = list(patient_ids)
    found: dict[int, list[Recipient]] = defaultdict(list)
    if not wanted:
        return found
    rows = session.exec(
        select(Contact)
        .where(col(Contact.patient_id).in_(wanted))
        .where(col(Contact.receives_itinerary).is_(True))
        .order_by(col(Contact.patient_id), col(Contact.id))
    ).all()
    for contact in rows:
        if contact.email.strip():
            found[contact.patient_id].append(Recipient(_one_line(contact.name), contact.email.strip()))
    return found


def _one_line(text: str) -> str:
    """Control characters (a line break could start a header of its own) become spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def subject_line(itinerary: Itinerary, secure_marker: str = "") -> str:
    """'[secure] Clinic visit 14–15 Dec 2026': the marker (when the service has one) and the visit's dates only."""
    visit = f"Clinic visit {format_short_date_range(itinerary.start_date, itinerary.end_date)}"
    marker = _one_line(secure_marker)
    return f"{marker} {visit}" if marker else visit


def attachment_name(itinerary: Itinerary) -> str:
    """'clinic-visit-2026-12-14.ics': the calendar file's name as the family sees it."""
    return f"clinic-visit-{itinerary.start_date:%Y-%m-%d}.ics"


def usable_addresses(recipients: Sequence[Recipient]) -> list[Address]:
    """The recipients as addresses; one whose address the email package cannot read is left out."""
    addresses: list[Address] = []
    for recipient in recipients:
        try:
            addresses.append(Address(display_name=_one_line(recipient.name), addr_spec=recipient.email.strip()))
        except (HeaderParseError, ValueError, IndexError):
            continue
    return addresses


def no_recipients_text(label: str) -> str:
    """The one line an export prints for a family with nobody to email ('label': whose, for the coordinator)."""
    return f"no email draft for {label}: no contact marked to receive the itinerary has an email address"


def render_eml(
    itinerary: Itinerary,
    recipients: Sequence[Recipient],
    *,
    text: str,
    html: str,
    ics: bytes,
    secure_marker: str = "",
) -> bytes | None:
    """The unsent draft for one family, as bytes to save; None when no recipient has a usable address."""
    addresses = usable_addresses(recipients)
    if not addresses:
        return None
    message = EmailMessage(policy=DRAFT_POLICY)
    message["To"] = addresses
    message["Subject"] = subject_line(itinerary, secure_marker)
    message["X-Unsent"] = "1"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message.add_attachment(
        ics,
        maintype="text",
        subtype="calendar",
        filename=attachment_name(itinerary),
        params={"method": "PUBLISH", "charset": "utf-8"},
    )
    return message.as_bytes(policy=DRAFT_POLICY)


def secure_marker(session: Session, clinic_id: int) -> str:
    """The secure-email marker of the service running the clinic ('' when it has none)."""
    from coordinator_tui.models import ClinicEvent, Service

    clinic = session.get(ClinicEvent, clinic_id)
    service = session.get(Service, clinic.service_id) if clinic is not None else None
    return service.secure_email_marker if service is not None else ""
