"""One patient's record as the record screen shows it, and the use cases of its tabs (care team, visits).

``patient_record_view`` reads everything the record shows in one read-only unit of work. The other functions
are the record's changes, each in its own unit of work; a refused change raises ``ValidationError``,
``ConcurrentEditError``, ``NotFoundError`` or a ``DatabaseError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from coordinator_tui import clock
from coordinator_tui.models import CareTeamMember, ClinicAttendance, Contact, Patient, Professional
from coordinator_tui.services.clinics import appointments as appointment_service
from coordinator_tui.services.clinics import clinics as clinic_service
from coordinator_tui.services.clinics.appointments import AppointmentView
from coordinator_tui.services.clinics.clinics import AttendanceView
from coordinator_tui.services.itineraries.families_to_tell import FamilyToTell, patient_visits_to_tell
from coordinator_tui.services.people import care_team as care_team_service
from coordinator_tui.services.people import contacts as contact_service
from coordinator_tui.services.people import patients as patient_service
from coordinator_tui.services.people.care_team import TeamMemberView
from coordinator_tui.services.people.professionals import list_professionals

if TYPE_CHECKING:
    from coordinator_tui.db import Database


@dataclass
class RecordData:
    patient: Patient
    team: list[TeamMemberView] = field(default_factory=list)
    contacts: Sequence[Contact] = ()
    attendances: list[AttendanceView] = field(default_factory=list)
    appointments: list[AppointmentView] = field(default_factory=list)
    zone: str = "Europe/London"
    today: dt.date = field(default_factory=clock.today)
    # The visits (by clinic id) whose itinerary no longer matches the clinic: re-send it, or tell the family.
    to_tell: dict[int, FamilyToTell] = field(default_factory=dict)


def load_record(session: Session, patient_id: int, *, include_ended: bool, zone: str) -> RecordData:
    return RecordData(
        patient=patient_service.get_patient(session, patient_id),
        team=care_team_service.team(session, patient_id, include_ended=include_ended),
        contacts=contact_service.list_contacts(session, patient_id),
        attendances=clinic_service.attendances_for_patient(session, patient_id),
        appointments=appointment_service.for_patient(session, patient_id),
        zone=zone,
        today=clock.today(zone),
        to_tell=patient_visits_to_tell(session, patient_id),
    )


def patient_record_view(database: Database, patient_id: int, *, include_ended: bool, zone: str) -> RecordData:
    """Everything the patient record shows, in one read (``include_ended``: ended care team memberships too)."""
    return database.read(load_record, patient_id, include_ended=include_ended, zone=zone)


# ------------------------------------------------------------------------------------------------------------
# Care team
# ------------------------------------------------------------------------------------------------------------


def _not_in_team(session: Session, patient_id: int, text: str, limit: int) -> list[Professional]:
    members = {view.professional.id for view in care_team_service.team(session, patient_id)}
    return [p for p in list_professionals(session, text=text) if p.id not in members][:limit]


def professionals_to_add(database: Database, patient_id: int, text: str, limit: int = 200) -> list[Professional]:
    """The current professionals matching ``text`` who are not in the patient's current care team, to choose one to
    add to it (the first ``limit``; archived ones never)."""
    return database.read(_not_in_team, patient_id, text, limit)


def add_team_member(
    database: Database, patient_id: int, professional_id: int, form: Mapping[str, Any]
) -> CareTeamMember:
    """Add a professional to the patient's care team from the membership form."""
    values = care_team_service.parse_member_form(form)
    return database.write(care_team_service.add_member, patient_id, professional_id, values)


def save_team_member(database: Database, member: CareTeamMember, form: Mapping[str, Any]) -> CareTeamMember:
    """Save an edited membership; refused when someone else saved it since the form opened."""
    values = care_team_service.parse_member_form(form)
    assert member.id is not None
    return database.write(care_team_service.update_member, member.id, values, expected_version=member.version)


def end_team_membership(database: Database, member: CareTeamMember) -> CareTeamMember:
    """End a membership today (refused for the named worker: hand the role over first)."""
    assert member.id is not None
    return database.write(care_team_service.end_membership, member.id, expected_version=member.version)


def choose_named_worker(database: Database, member: CareTeamMember) -> CareTeamMember:
    """Make this member the patient's named worker (the previous one stops being it)."""
    assert member.id is not None
    return database.write(care_team_service.make_named_worker, member.id, expected_version=member.version)


# ------------------------------------------------------------------------------------------------------------
# Clinic visits
# ------------------------------------------------------------------------------------------------------------


def save_visit_travel(
    database: Database, attendance: ClinicAttendance, form: Mapping[str, Any], zone: str
) -> ClinicAttendance:
    """Save a visit's travel and hotel form (local times in ``zone``)."""
    values = clinic_service.parse_travel_form(form, zone)
    assert attendance.id is not None
    return database.write(clinic_service.update_attendance, attendance.id, values, expected_version=attendance.version)
