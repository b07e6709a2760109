"""Family contacts: parents, carers, guardians or the patient themself, and who receives the itinerary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, select

from coordinator_tui.models import Contact, ContactMethod, ContactRelationship
from coordinator_tui.services.safety.records import create_record, delete_record, get_or_raise, update_record
from coordinator_tui.validation import (
    FormErrors,
    ValidationError,
    as_flag,
    form_text,
    parse_multiline,
    parse_text_fields,
    validate_email,
    validate_uk_phone,
)


def _choice(errors: FormErrors, field: str, raw: str, enum: type[ContactRelationship] | type[ContactMethod]) -> Any:
    try:
        return enum(raw.strip().lower())
    except ValueError:
        errors.add(field, f"choose one of: {', '.join(e.value for e in enum)}")
        return None


def parse_contact_form(form: Mapping[str, object]) -> dict[str, Any]:
    errors = FormErrors()
    values: dict[str, Any] = parse_text_fields(form, errors, {"name": 200}, required={"name"})
    values["relationship"] = _choice(
        errors, "relationship", form_text(form, "relationship") or "parent", ContactRelationship
    )
    values["preferred_method"] = _choice(
        errors, "preferred_method", form_text(form, "preferred_method") or "phone", ContactMethod
    )
    values["phone"] = errors.check("phone", validate_uk_phone, form_text(form, "phone"))
    values["email"] = errors.check("email", validate_email, form_text(form, "email"))
    values["address"] = parse_multiline(form, errors, "address", 400)
    values["receives_itinerary"] = as_flag(form.get("receives_itinerary", True))
    method = values.get("preferred_method")
    if method is ContactMethod.EMAIL and not values.get("email") and "email" not in errors.errors:
        errors.add("email", "an email address is needed when email is the preferred method")
    if method in (ContactMethod.PHONE, ContactMethod.TEXT) and not values.get("phone") and "phone" not in errors.errors:
        errors.add("phone", "a phone number is needed when phone or text is the preferred method")
    if method is ContactMethod.POST and not values.get("address") and "address" not in errors.errors:
        errors.add("address", "an address is needed when post is the preferred method")
    errors.raise_if_any()
    return values


def create_contact(session: Session, patient_id: int, values: Mapping[str, Any]) -> Contact:
    from coordinator_tui.models import Patient

    get_or_raise(session, Patient, patient_id)
    return create_record(session, Contact(patient_id=patient_id, **values))


def update_contact(
    session: Session, contact_id: int, values: Mapping[str, Any], *, expected_version: int | None = None
) -> Contact:
    return update_record(session, Contact, contact_id, values, expected_version=expected_version)


def delete_contact(session: Session, contact_id: int) -> None:
    delete_record(session, get_or_raise(session, Contact, contact_id))


def list_contacts(session: Session, patient_id: int) -> Sequence[Contact]:
    return session.exec(select(Contact).where(Contact.patient_id == patient_id).order_by(Contact.id)).all()


def itinerary_recipients(session: Session, patient_id: int) -> Sequence[Contact]:
    contacts = [c for c in list_contacts(session, patient_id) if c.receives_itinerary]
    if not contacts:
        raise ValidationError.single("contacts", "nobody is marked to receive this family's itinerary")
    return contacts
