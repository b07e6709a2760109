"""Stable resource ids: a UUID (version 5) of the record's kind and id, the same at every export of that record."""

from __future__ import annotations

import uuid

#: The namespace of this app's FHIR resource ids (fixed: changing it would change every id already sent).
NAMESPACE = uuid.UUID("6a0d3c2e-8f1b-5b7e-9a43-2f6c1d0e7b58")

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"


def resource_id(kind: str, record_id: int | str) -> str:
    """The id of the resource made from record ``record_id`` of ``kind`` (e.g. "patient", "contact")."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{record_id}"))


def reference(kind: str, record_id: int | str) -> dict[str, str]:
    """A reference to that resource inside the bundle (its ``fullUrl``)."""
    return {"reference": full_url(kind, record_id)}


def full_url(kind: str, record_id: int | str) -> str:
    return f"urn:uuid:{resource_id(kind, record_id)}"
