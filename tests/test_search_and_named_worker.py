"""Search boxes match what was typed literally; a patient never loses their named worker by accident."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from coordinator_tui.services.people import care_team, patients, professionals
from coordinator_tui.validation import ValidationError, nhs_check_digit
from tests.postgres_server import both_databases

pytestmark = both_databases


def _nhs(n: int) -> str:
    while True:
        first = f"999{n:06d}"
        check = nhs_check_digit(first)
        if check is not None:
            return first + str(check)
        n += 1


def _patient(session: Session, given: str, family: str, n: int) -> int:
    p = patients.create_patient(
        session,
        {
            "nhs_number": _nhs(n),
            "hospital_number": f"TST{n}",
            "given_name": given,
            "family_name": family,
            "date_of_birth": dt.date(2012, 5, 1),
        },
    )
    assert p.id is not None
    return p.id


def test_percent_and_underscore_are_matched_literally(session: Session) -> None:
    _patient(session, "Testy", "Mc_Testface", 1)
    _patient(session, "Testy", "McTestface", 100)
    assert [p.family_name for p in patients.search_patients(session, "_")] == ["Mc_Testface"]
    assert patients.search_patients(session, "%") == []
    assert [p.family_name for p in patients.search_patients(session, "mctest")] == ["McTestface"]
    professionals.create_professional(
        session, {"given_name": "Ada", "family_name": "Per%centage", "discipline": "audiology"}
    )
    professionals.create_professional(session, {"given_name": "Bo", "family_name": "Plain", "discipline": "audiology"})
    assert [p.family_name for p in professionals.list_professionals(session, text="%")] == ["Per%centage"]


def test_the_named_worker_cannot_be_ended_until_someone_else_is_named(session: Session) -> None:
    patient_id = _patient(session, "Testy", "McTestface", 1)
    nurse = professionals.create_professional(
        session, {"given_name": "Nora", "family_name": "Nurseworthy", "discipline": "specialist nursing"}
    )
    coordinator = professionals.create_professional(
        session, {"given_name": "Tom", "family_name": "Transitionby", "discipline": "transition coordination"}
    )
    named = care_team.add_member(session, patient_id, nurse.id, {"is_named_worker": True})  # type: ignore[arg-type]
    other = care_team.add_member(session, patient_id, coordinator.id, {})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="make someone else the named worker first"):
        care_team.end_membership(session, named.id)  # type: ignore[arg-type]
    assert care_team.named_worker(session, patient_id).member.id == named.id  # type: ignore[union-attr]
    care_team.make_named_worker(session, other.id)  # type: ignore[arg-type]
    ended = care_team.end_membership(session, named.id)  # type: ignore[arg-type]
    assert ended.end_date == dt.date(2026, 11, 25)
    assert care_team.named_worker(session, patient_id).member.id == other.id  # type: ignore[union-attr]
