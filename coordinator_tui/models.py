"""SQLModel tables: the words of the domain (see shared DESIGN notes).

Every datetime is stored in UTC and comes back timezone-aware (``UTCDateTime``). Dates of birth, due dates and
the like are plain calendar dates. Daily clinic hours are wall-clock times of day in the service's time zone;
they are combined with a date and the zone (``clinic_time.local_to_utc``) before anything is compared.

Mutable tables carry a ``version`` column for optimistic concurrency: services refuse a save whose expected
version no longer matches (``services.records.update_record``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from coordinator_tui.names import professional_display_name as professional_display_name
from coordinator_tui.text_fold import search_key


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored as UTC; naive datetimes are refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: store aware datetimes only")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> sa.Column[dt.datetime]:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


# ------------------------------------------------------------------------------------------------------------
# Value sets
# ------------------------------------------------------------------------------------------------------------


class ContactRelationship(StrEnum):
    PARENT = "parent"
    CARER = "carer"
    GUARDIAN = "guardian"
    SELF = "self"
    OTHER = "other"


class ContactMethod(StrEnum):
    PHONE = "phone"
    TEXT = "text"
    EMAIL = "email"
    POST = "post"


class ProfessionalSetting(StrEnum):
    CENTRE = "centre"  # works at the specialist centre
    LOCAL = "local"  # GP, local paediatrician, school, social care


class CareTeamStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class ClinicStatus(StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class AttendanceStatus(StrEnum):
    """A family's place at one clinic: invited, then confirmed or declined, then attended or did not attend; or
    cancelled (by the family or by the service, ``ClinicAttendance.cancelled_by``)."""

    INVITED = "invited"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    ATTENDED = "attended"
    DID_NOT_ATTEND = "did_not_attend"
    CANCELLED = "cancelled"


class CancelledBy(StrEnum):
    """Who cancelled a family's place at a clinic (blank unless the status is cancelled)."""

    NOBODY = ""
    FAMILY = "family"
    SERVICE = "service"


class AppointmentStatus(StrEnum):
    """FHIR Appointment.status (the subset a clinic uses), so a FHIR export maps one to one."""

    PROPOSED = "proposed"
    BOOKED = "booked"
    ARRIVED = "arrived"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    NOSHOW = "noshow"


class AppointmentKind(StrEnum):
    CONSULTATION = "consultation"
    TEST = "test"  # e.g. fasting bloods, hearing test
    JOINT = "joint"  # several professionals at once
    ROUND_TABLE = "round_table"  # the closing meeting of the team with the family


class TransitionStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"
    MISSED = "missed"  # could no longer be done when the checklist closed; the reason is in status_reason


class ToldHow(StrEnum):
    """How a family was told of a change to their visit (``FamilyTold``)."""

    PHONE = "phone"
    LETTER = "letter"
    EMAIL = "email"
    IN_PERSON = "in_person"


def new_calendar_uid() -> str:
    """A random iCalendar UID for a travel or hotel event: unique across clinics and families, no internal ids."""
    return f"{uuid.uuid4()}@coordinator-tui.invalid"


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ARCHIVE = "archive"


# ------------------------------------------------------------------------------------------------------------
# Tables
# ------------------------------------------------------------------------------------------------------------


class Service(SQLModel, table=True):
    """The specialist service running the clinics. One database normally holds one service.

    Its details are shared by everyone who uses the database (what a family sees on an itinerary, the default
    clinic-day hours, the service's own milestone rules); ``settings.toml`` keeps only what is personal to one
    workstation. ``settings_moved_on`` records when the service-wide values of the first workstation's settings file
    were moved in (once; later edits there are ignored with a warning)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    short_name: str = Field(default="", max_length=60)  # what families see, e.g. "Alström clinic"
    phone: str = Field(default="", max_length=20)  # the number families call on the day
    address: str = Field(default="", max_length=400)
    timezone: str = Field(default="Europe/London", max_length=64)
    uses_round_table: bool = True
    child_day_start: dt.time = dt.time(9, 0)
    child_day_end: dt.time = dt.time(16, 0)
    adult_day_start: dt.time = dt.time(9, 0)
    adult_day_end: dt.time = dt.time(17, 0)
    reminder_minutes_before: int = 60
    minutes_between_buildings: int = 10
    # The service's own milestone rules (TOML text, layered on the shipped data/milestones.toml), and the name of the
    # file it was read from, for the screen.
    milestone_rules: str = Field(default="", sa_column_kwargs={"server_default": ""})
    milestone_rules_name: str = Field(default="", max_length=260)
    settings_moved_on: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # What families are asked to bring (one item a line; blank: the shipped defaults), and the marker their
    # organisation's secure email needs in the subject of patient information (e.g. "[secure]"), migration 0010.
    what_to_bring: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})
    secure_email_marker: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    version: int = 1


class Patient(SQLModel, table=True):
    # The patient list's columns in its order (name, then id): a filter reads this index, not the table.
    __table_args__ = (
        sa.Index(
            "ix_patient_list",
            "family_name",
            "given_name",
            "id",
            "archived",
            "nhs_number",
            "hospital_number",
            "date_of_birth",
            "search_key",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    nhs_number: str = Field(max_length=10, unique=True, index=True)
    hospital_number: str = Field(max_length=20, index=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    date_of_birth: dt.date
    condition: str = Field(default="", max_length=200)
    school: str = Field(default="", max_length=200)
    has_ehcp: bool = False
    large_print: bool = False
    bsl_interpreter: bool = False
    wheelchair: bool = False
    interpreter_language: str = Field(default="", max_length=60)
    review_interval_months: int = 12
    registered_on: dt.date
    planned_transfer_date: dt.date | None = None
    transferred_on: dt.date | None = None
    # What the transition rules read (migration 0009): the EHCP's issue or last review, DLA for children and
    # whether a parent is its appointee, conditions recorded, and a school year out of the child's age group.
    ehcp_reviewed_on: dt.date | None = None
    receives_dla: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    dla_appointee_parent: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    learning_disability: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    diabetes_not_diet_controlled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    hypothyroidism: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    may_lack_capacity: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # School years behind (+) or ahead (-) of the year group for the child's age (School Admissions Code 2.17).
    school_year_offset: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # When and why the transition checklist closed (follow-up after transfer done, 25th birthday, archived).
    checklist_closed_on: dt.date | None = None
    checklist_closed_reason: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    internal_notes: str = Field(default="", max_length=4000)
    archived: bool = False
    # Calendar titles for this family (migration 0010): neutral ("Hospital appointment") unless the family chose
    # detailed titles; who set the choice and when.
    detailed_calendar_titles: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    calendar_titles_set_by: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    calendar_titles_set_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    version: int = 1
    # What the patient is found by, folded (text_fold.search_key of given name, family name, hospital number):
    # set on every insert and update of the record (patient_search_key), filled for older rows by migration 0004.
    search_key: str = Field(default="", sa_column_kwargs={"server_default": ""})

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def patient_search_key(given_name: str, family_name: str, hospital_number: str) -> str:
    return search_key(given_name, family_name, hospital_number)


@sa.event.listens_for(Patient, "before_insert")
@sa.event.listens_for(Patient, "before_update")
def _set_search_key(_mapper: object, _connection: object, patient: Patient) -> None:
    """Every insert or update of a Patient object keeps its search key. Statements that bypass objects set it
    themselves: ``services.patients.update_patient`` (an UPDATE matching the version) and the demo's bulk insert."""
    patient.search_key = patient_search_key(patient.given_name, patient.family_name, patient.hospital_number)


class Contact(SQLModel, table=True):
    """A family contact: parent, carer, guardian, or the patient themself."""

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    relationship: ContactRelationship = ContactRelationship.PARENT
    phone: str = Field(default="", max_length=20)
    email: str = Field(default="", max_length=254)
    address: str = Field(default="", max_length=400)
    preferred_method: ContactMethod = ContactMethod.PHONE
    receives_itinerary: bool = True
    version: int = 1


class Professional(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_professional_names", "family_name", "given_name"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(default="", max_length=20)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    discipline: str = Field(max_length=60, index=True)
    role: str = Field(default="", max_length=100)  # e.g. "Consultant paediatric cardiologist"
    organisation: str = Field(default="", max_length=200)
    setting: ProfessionalSetting = ProfessionalSetting.CENTRE
    phone: str = Field(default="", max_length=20)
    email: str = Field(default="", max_length=254)
    usual_days: str = Field(default="", max_length=40)  # usual clinic days, e.g. "Mon Wed" (see weekdays.py)
    archived: bool = False
    version: int = 1

    @property
    def display_name(self) -> str:
        return professional_display_name(self.title, self.given_name, self.family_name)


class CareTeamMember(SQLModel, table=True):
    """A professional in one patient's care team. Exactly one active named worker per patient."""

    __table_args__ = (
        sa.Index(
            "uq_care_team_named_worker",
            "patient_id",
            unique=True,
            sqlite_where=sa.text("is_named_worker"),
            postgresql_where=sa.text("is_named_worker"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    professional_id: int = Field(foreign_key="professional.id", index=True)
    role: str = Field(default="", max_length=100)
    start_date: dt.date
    end_date: dt.date | None = None
    status: CareTeamStatus = CareTeamStatus.ACTIVE
    is_named_worker: bool = False
    version: int = 1


class ClinicEvent(SQLModel, table=True):
    """One combined clinic: a run of consecutive days at a venue."""

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="service.id", index=True)
    name: str = Field(max_length=200)
    # The catalogue venue, and its name kept in step with it (set with venue_id, rewritten when the venue is renamed,
    # only by services.clinics.venues): what itineraries, calendar files and lists print without a join.
    venue_id: int | None = Field(default=None, foreign_key="venue.id", index=True)
    venue: str = Field(default="", max_length=200)
    start_date: dt.date = Field(index=True)
    days: int = 2
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(17, 0)
    status: ClinicStatus = ClinicStatus.PLANNED
    series_id: str = Field(default="", max_length=64)
    version: int = 1

    @property
    def dates(self) -> list[dt.date]:
        return [self.start_date + dt.timedelta(days=i) for i in range(self.days)]

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.days - 1)


class Venue(SQLModel, table=True):
    """A place the service holds clinics (a hospital, a centre), with its buildings' rooms in the catalogue."""

    __table_args__ = (sa.UniqueConstraint("service_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="service.id", index=True)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=400)
    archived: bool = False
    version: int = 1


class Room(SQLModel, table=True):
    """A room in the catalogue of one venue; ``building`` names the building within the venue ("" for one)."""

    __table_args__ = (sa.UniqueConstraint("venue_id", "building", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    venue_id: int = Field(foreign_key="venue.id", index=True)
    name: str = Field(max_length=100)
    building: str = Field(default="", max_length=100)
    archived: bool = False
    version: int = 1


class BuildingWalk(SQLModel, table=True):
    """The walking time between two buildings of a venue where it differs from the service's default.

    Stored once per pair, the two names in sorted order (``first_building`` < ``second_building``)."""

    __table_args__ = (sa.UniqueConstraint("venue_id", "first_building", "second_building"),)

    id: int | None = Field(default=None, primary_key=True)
    venue_id: int = Field(foreign_key="venue.id", index=True)
    first_building: str = Field(max_length=100)
    second_building: str = Field(max_length=100)
    minutes: int
    version: int = 1


class ClinicRoom(SQLModel, table=True):
    """Link: the catalogue rooms a clinic uses (rooms of the clinic's venue)."""

    clinic_event_id: int = Field(foreign_key="clinicevent.id", primary_key=True, ondelete="CASCADE")
    room_id: int = Field(foreign_key="room.id", primary_key=True, index=True)


class ClinicStaffing(SQLModel, table=True):
    """Which professional attends which day of a clinic, and their hours that day (local wall-clock)."""

    __table_args__ = (sa.UniqueConstraint("clinic_event_id", "professional_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_event_id: int = Field(foreign_key="clinicevent.id", index=True, ondelete="CASCADE")
    professional_id: int = Field(foreign_key="professional.id", index=True)
    day: dt.date
    start_time: dt.time = dt.time(9, 0)
    end_time: dt.time = dt.time(17, 0)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)


class ClinicAttendance(SQLModel, table=True):
    """A patient invited to a clinic event, with the family's travel and accommodation."""

    __table_args__ = (sa.UniqueConstraint("clinic_event_id", "patient_id"),)

    id: int | None = Field(default=None, primary_key=True)
    clinic_event_id: int = Field(foreign_key="clinicevent.id", index=True, ondelete="CASCADE")
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    status: AttendanceStatus = AttendanceStatus.INVITED
    # When the status last changed and who recorded it (the audit log keeps every change).
    status_changed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    status_changed_by: str = Field(default="", max_length=100)
    cancelled_by: str = Field(default="", max_length=20)  # a CancelledBy value
    travel_out_mode: str = Field(default="", max_length=40)
    travel_out_depart: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    travel_out_arrive: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    travel_out_reference: str = Field(default="", max_length=60)
    travel_home_mode: str = Field(default="", max_length=40)
    travel_home_depart: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    travel_home_arrive: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    travel_home_reference: str = Field(default="", max_length=60)
    hotel_name: str = Field(default="", max_length=200)
    hotel_address: str = Field(default="", max_length=400)
    hotel_phone: str = Field(default="", max_length=20)
    hotel_check_in: dt.date | None = None
    hotel_check_in_time: dt.time | None = None  # the hotel's check-in time (blank: 15:00), migration 0010
    hotel_nights: int = 0
    hotel_reference: str = Field(default="", max_length=60)
    family_instructions: str = Field(default="", max_length=2000)
    internal_notes: str = Field(default="", max_length=4000)
    # Stored random calendar UIDs of the family's travel and hotel events (migration 0010): stable across
    # exports, unique across clinics and families, and carrying no internal ids.
    travel_out_uid: str = Field(default_factory=new_calendar_uid, max_length=120)
    travel_home_uid: str = Field(default_factory=new_calendar_uid, max_length=120)
    hotel_check_in_uid: str = Field(default_factory=new_calendar_uid, max_length=120)
    hotel_check_out_uid: str = Field(default_factory=new_calendar_uid, max_length=120)
    version: int = 1

    @property
    def travel_booked(self) -> bool:
        return bool(self.travel_out_mode and self.travel_out_depart and self.travel_home_depart)

    @property
    def hotel_booked(self) -> bool:
        return bool(self.hotel_name and self.hotel_check_in and self.hotel_nights > 0)


class Appointment(SQLModel, table=True):
    """A patient seeing one or more professionals at a time and room during a clinic."""

    __table_args__ = (
        sa.Index("ix_appointment_clinic_start", "clinic_event_id", "start"),
        sa.Index("ix_appointment_patient_start", "patient_id", "start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=100, unique=True)  # stable iCalendar UID
    clinic_event_id: int = Field(foreign_key="clinicevent.id", ondelete="CASCADE")
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    discipline: str = Field(max_length=60)
    kind: AppointmentKind = AppointmentKind.CONSULTATION
    start: dt.datetime = Field(sa_column=utc_column())
    end: dt.datetime = Field(sa_column=utc_column())
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    status: AppointmentStatus = AppointmentStatus.BOOKED
    fasting: bool = False
    pinned: bool = False
    family_instructions: str = Field(default="", max_length=2000)
    internal_notes: str = Field(default="", max_length=4000)
    version: int = 1


class AppointmentProfessional(SQLModel, table=True):
    """Link: the professionals taking part in an appointment (one for most, several for joint/round table)."""

    appointment_id: int = Field(foreign_key="appointment.id", primary_key=True, ondelete="CASCADE")
    professional_id: int = Field(foreign_key="professional.id", primary_key=True, index=True)


class PatientDisciplineNeed(SQLModel, table=True):
    """A discipline a patient needs to see at clinic, with its duration (defaults from data/disciplines.toml)."""

    __table_args__ = (sa.UniqueConstraint("patient_id", "discipline"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    discipline: str = Field(max_length=60)
    minutes: int = 30
    needed: bool = True


class TransitionItem(SQLModel, table=True):
    """One step on a young person's transition checklist, generated from a milestone rule."""

    __table_args__ = (sa.UniqueConstraint("patient_id", "rule_id", "occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    rule_id: str = Field(max_length=80)
    occurrence: int = 0  # 0 for one-off rules; 1, 2, … for repeating ones
    title: str = Field(max_length=200)
    category: str = Field(max_length=40, index=True)
    owner_role: str = Field(max_length=40, index=True)
    stage: str = Field(default="", max_length=40)
    due_date: dt.date = Field(index=True)
    appears_on: dt.date
    status: TransitionStatus = TransitionStatus.TODO
    status_reason: str = Field(default="", max_length=400)  # why not applicable, or why missed
    completed_on: dt.date | None = None
    note: str = Field(default="", max_length=4000)
    version: int = 1


class ExportedEvent(SQLModel, table=True):
    """What an itinerary export last sent for one calendar event: gives stable UIDs and rising SEQUENCE."""

    uid: str = Field(primary_key=True, max_length=120)
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    clinic_event_id: int = Field(foreign_key="clinicevent.id", index=True, ondelete="CASCADE")
    fingerprint: str = Field(max_length=64)
    sequence: int = 0
    last_exported: dt.datetime = Field(sa_column=utc_column())
    # When it was first exported (migration 0010; older rows: their last export then): what a family can have been
    # told about, at the earliest.
    first_exported: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # What was last sent (migration 0010), so a cancellation can be written after the record itself is gone:
    # its title, location, status, and its times (``start``/``end`` for a timed event, ``day`` for an all-day one;
    # all blank for a row sent before 0010 whose record was already gone).
    kind: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})  # an ItemKind value
    summary: str = Field(default="", max_length=400, sa_column_kwargs={"server_default": ""})
    location: str = Field(default="", max_length=400, sa_column_kwargs={"server_default": ""})
    status: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    start: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    end: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    day: dt.date | None = None
    # When its cancellation (STATUS:CANCELLED) was first sent (None: still current, or not yet withdrawn).
    withdrawn_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class FamilyTold(SQLModel, table=True):
    """A record that a family was told of a change to their visit (a withdrawal their calendar may still show):
    how, on which day, by whom; who recorded it and when. Clears the withdrawals sent before ``recorded_at`` from
    the families-to-tell list (a new export alone does not)."""

    id: int | None = Field(default=None, primary_key=True)
    clinic_event_id: int = Field(foreign_key="clinicevent.id", index=True, ondelete="CASCADE")
    patient_id: int = Field(foreign_key="patient.id", index=True, ondelete="CASCADE")
    how: ToldHow
    told_on: dt.date
    told_by: str = Field(max_length=100)  # the team member who told them
    note: str = Field(default="", max_length=400)
    recorded_at: dt.datetime = Field(sa_column=utc_column())
    recorded_by: str = Field(max_length=100)  # the operating-system user who recorded it


class AuditEvent(SQLModel, table=True):
    """Append-only: who changed what, when, with before and after values (JSON)."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_column=utc_column(index=True))
    user: str = Field(max_length=100)
    action: AuditAction
    entity: str = Field(max_length=60, index=True)
    entity_id: str = Field(max_length=120)
    patient_id: int | None = Field(default=None, index=True)
    before: str = ""
    after: str = ""


class ImportedValues(SQLModel, table=True):
    """What a spreadsheet import last set on one record (migration 0011): the imported fields' values as JSON,
    from which file (its name and the sha256 of its content) and when. A later import compares the record with
    these: a field changed in the app since is a conflict, never overwritten."""

    __table_args__ = (sa.UniqueConstraint("kind", "record_id", name="uq_importedvalues_record"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # patients, contacts, professionals, care-team
    record_id: int
    imported: str = ""  # JSON: field name -> value as imported (dates ISO, choices by value)
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    imported_at: dt.datetime = Field(sa_column=utc_column())
