"""family itineraries that never mislead: what was last sent, families told, stored travel and hotel UIDs

A cancellation has to reach a family's calendar after the record behind it is gone (an appointment deleted, a hotel
removed), so ``exportedevent`` now keeps what was last sent for each event: ``kind`` (an itinerary item kind),
``summary``, ``location``, ``status``, its times (``start``/``end`` for a timed event, ``day`` for an all-day one)
``withdrawn_at`` (when its cancellation was first sent) and ``first_exported``. Rows exported before this revision
are filled from the appointment or the family's place where those still exist (a row whose record is already gone
keeps blank times), and their first export is taken to be their last.

``familytold`` records that a family was told of a change (how, on which day, by whom): a withdrawal stays on the
families-to-tell list until such a record, since calendar programs may ignore a cancellation.

``clinicattendance`` gains the hotel's check-in time and four stored calendar UIDs for the family's travel and
hotel events, random so that they are unique across clinics and families and carry no internal ids. An event
already sent under the old UID built from the clinic and patient ids keeps that UID, so the family's calendar
updates it in place.

``patient`` gains the family's choice of calendar titles (detailed or, by default, discreet) and who set it when;
``service`` what families are asked to bring and the subject marker its secure email needs.

The downgrade drops what was added, in place (a copy of ``patient`` or ``clinicattendance`` on SQLite would
cascade-delete the rows pointing at them); PostgreSQL drops the ``toldhow`` enum type with its table.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from coordinator_tui.models import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOLD_HOW = ("PHONE", "LETTER", "EMAIL", "IN_PERSON")
# (column, the old UID's kind word, the itinerary item kind) of the family's travel and hotel events.
PLACE_UIDS = (
    ("travel_out_uid", "travel-out", "travel_out"),
    ("travel_home_uid", "travel-home", "travel_home"),
    ("hotel_check_in_uid", "hotel-in", "hotel_check_in"),
    ("hotel_check_out_uid", "hotel-out", "hotel_check_out"),
)


def _text(name: str, length: int) -> sa.Column[str]:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False, server_default="")


def _exported_event_columns() -> list[sa.Column[object]]:
    return [
        _text("kind", 20),
        _text("summary", 400),
        _text("location", 400),
        _text("status", 20),
        sa.Column("start", UTCDateTime(), nullable=True),
        sa.Column("end", UTCDateTime(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("first_exported", UTCDateTime(), nullable=True),
    ]


def _patient_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("detailed_calendar_titles", sa.Boolean(), nullable=False, server_default=sa.false()),
        _text("calendar_titles_set_by", 100),
        sa.Column("calendar_titles_set_at", UTCDateTime(), nullable=True),
    ]


def _service_columns() -> list[sa.Column[object]]:
    return [_text("what_to_bring", 2000), _text("secure_email_marker", 40)]


def _attendance_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("hotel_check_in_time", sa.Time(), nullable=True),
        *(_text(column, 120) for column, _, _ in PLACE_UIDS),
    ]


def _old_uid(kind: str, clinic_id: int, patient_id: int) -> str:
    """The UID travel and hotel events had before this revision (clinic and patient ids in it)."""
    return f"{kind}-c{clinic_id}-p{patient_id}@coordinator-tui.invalid"


def _fill_exported_events() -> None:
    """What an export before this revision sent, as far as the records still show it."""
    op.execute("UPDATE exportedevent SET first_exported = last_exported")
    op.execute(
        "UPDATE exportedevent SET kind = 'appointment', "
        '"start" = (SELECT a."start" FROM appointment a WHERE a.uid = exportedevent.uid), '
        '"end" = (SELECT a."end" FROM appointment a WHERE a.uid = exportedevent.uid) '
        "WHERE exportedevent.uid IN (SELECT uid FROM appointment)"
    )
    for _, word, kind in PLACE_UIDS:
        op.execute(f"UPDATE exportedevent SET kind = '{kind}' WHERE uid LIKE '{word}-c%'")
    op.execute(
        'UPDATE exportedevent SET "start" = (SELECT c.travel_out_depart FROM clinicattendance c '
        "WHERE c.clinic_event_id = exportedevent.clinic_event_id AND c.patient_id = exportedevent.patient_id), "
        '"end" = (SELECT c.travel_out_arrive FROM clinicattendance c '
        "WHERE c.clinic_event_id = exportedevent.clinic_event_id AND c.patient_id = exportedevent.patient_id) "
        "WHERE kind = 'travel_out'"
    )
    op.execute(
        'UPDATE exportedevent SET "start" = (SELECT c.travel_home_depart FROM clinicattendance c '
        "WHERE c.clinic_event_id = exportedevent.clinic_event_id AND c.patient_id = exportedevent.patient_id), "
        '"end" = (SELECT c.travel_home_arrive FROM clinicattendance c '
        "WHERE c.clinic_event_id = exportedevent.clinic_event_id AND c.patient_id = exportedevent.patient_id) "
        "WHERE kind = 'travel_home'"
    )
    # Hotel events were all-day before this revision: check-in on its date, check-out after the nights.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT e.uid, e.kind, c.hotel_check_in, c.hotel_nights FROM exportedevent e "
            "JOIN clinicattendance c ON c.clinic_event_id = e.clinic_event_id AND c.patient_id = e.patient_id "
            "WHERE e.kind IN ('hotel_check_in', 'hotel_check_out') AND c.hotel_check_in IS NOT NULL"
        )
    ).all()
    for uid, kind, check_in, nights in rows:
        day = check_in if isinstance(check_in, dt.date) else dt.date.fromisoformat(str(check_in))
        if kind == "hotel_check_out":
            day = day + dt.timedelta(days=int(nights or 0))
        bind.execute(sa.text("UPDATE exportedevent SET day = :day WHERE uid = :uid"), {"day": day, "uid": uid})


def _fill_place_uids() -> None:
    """Every family's place gets its four UIDs: the old one where an event was sent under it, else a random one."""
    bind = op.get_bind()
    sent = {row[0] for row in bind.execute(sa.text("SELECT uid FROM exportedevent")).all()}
    places = bind.execute(sa.text("SELECT id, clinic_event_id, patient_id FROM clinicattendance")).all()
    for place_id, clinic_id, patient_id in places:
        values: dict[str, object] = {"id": place_id}
        for column, word, _ in PLACE_UIDS:
            old = _old_uid(word, clinic_id, patient_id)
            values[column] = old if old in sent else f"{uuid.uuid4()}@coordinator-tui.invalid"
        assignments = ", ".join(f"{column} = :{column}" for column, _, _ in PLACE_UIDS)
        bind.execute(sa.text(f"UPDATE clinicattendance SET {assignments} WHERE id = :id"), values)


def upgrade() -> None:
    for column in _exported_event_columns():
        op.add_column("exportedevent", column)
    for column in _patient_columns():
        op.add_column("patient", column)
    for column in _service_columns():
        op.add_column("service", column)
    for column in _attendance_columns():
        op.add_column("clinicattendance", column)
    op.create_table(
        "familytold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_event_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("how", sa.Enum(*TOLD_HOW, name="toldhow"), nullable=False),
        sa.Column("told_on", sa.Date(), nullable=False),
        sa.Column("told_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(["clinic_event_id"], ["clinicevent.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_familytold_clinic_event_id", "familytold", ["clinic_event_id"])
    op.create_index("ix_familytold_patient_id", "familytold", ["patient_id"])
    _fill_exported_events()
    _fill_place_uids()


def downgrade() -> None:
    op.drop_index("ix_familytold_patient_id", table_name="familytold")
    op.drop_index("ix_familytold_clinic_event_id", table_name="familytold")
    op.drop_table("familytold")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TYPE IF EXISTS toldhow")
    # Dropped in place (SQLite 3.35 and later): a table copy would cascade-delete every row pointing at it.
    for table, columns in (
        ("exportedevent", _exported_event_columns()),
        ("patient", _patient_columns()),
        ("service", _service_columns()),
        ("clinicattendance", _attendance_columns()),
    ):
        for column in columns:
            op.execute(f'ALTER TABLE {table} DROP COLUMN "{column.name}"')
