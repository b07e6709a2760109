"""venues, buildings and rooms: a catalogue of the service's venues instead of rooms owned by one clinic

Until now a room belonged to one clinic event (``room.clinic_event_id``) and a clinic's venue was free text. This
revision gives the service a catalogue: ``venue`` (name, address), rooms belonging to a venue (``room.venue_id``, the
building named on the room), walking times between two buildings of a venue where they differ from the service's
default (``buildingwalk``), ``clinicevent.venue_id`` and the rooms each clinic uses (``clinicroom``).

Existing data is carried over without losing a booking:

- one venue per distinct venue text (trimmed, case ignored) per service; rooms of clinics with no venue text go to
  one venue per service named ``UNNAMED_VENUE``;
- rooms with the same building and name within a venue become one catalogue room (the lowest id is kept), and every
  ``appointment.room_id`` and ``clinicstaffing.room_id`` is pointed at it; each clinic is linked to its rooms;
- the clinic's venue text is kept, set to its venue's name (the two are kept in step from now on).

SQLite can only change ``room``'s columns by copying the table. Dropping the old copy with foreign keys enforced
fails while appointments point at its rows (and would delete rows of any ON DELETE CASCADE child; ``room`` has
none). So the appointments' and staffing's rooms are noted, cleared, the table copied, and put back, all in the one
transaction of the upgrade: a failure leaves the database as it was. ``clinicevent`` (whose children cascade) is
only ever altered in place.

The downgrade gives each clinic its own copy of every room it is linked to or booked in, and points its
appointments and staffing at those copies; catalogue rooms no clinic uses, archived flags, addresses and walking
times are lost.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNNAMED_VENUE = "Venue not named (rooms of older clinics)"
BATCH = 2000

clinicevent = sa.table(
    "clinicevent",
    sa.column("id", sa.Integer()),
    sa.column("service_id", sa.Integer()),
    sa.column("venue", sa.String()),
    sa.column("venue_id", sa.Integer()),
)
venue = sa.table(
    "venue",
    sa.column("id", sa.Integer()),
    sa.column("service_id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("address", sa.String()),
    sa.column("archived", sa.Boolean()),
    sa.column("version", sa.Integer()),
)
room = sa.table(
    "room",
    sa.column("id", sa.Integer()),
    sa.column("clinic_event_id", sa.Integer()),
    sa.column("venue_id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("building", sa.String()),
)
appointment = sa.table(
    "appointment", sa.column("id", sa.Integer()), sa.column("clinic_event_id", sa.Integer()), sa.column("room_id")
)
staffing = sa.table(
    "clinicstaffing", sa.column("id", sa.Integer()), sa.column("clinic_event_id", sa.Integer()), sa.column("room_id")
)
clinicroom = sa.table("clinicroom", sa.column("clinic_event_id", sa.Integer()), sa.column("room_id", sa.Integer()))
BOOKING_TABLES = (appointment, staffing)


def _text(name: str, length: int) -> sa.Column[str]:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)


def _execute_many(statement: sa.Executable, rows: Sequence[dict[str, object]]) -> None:
    bind = op.get_bind()
    for start in range(0, len(rows), BATCH):
        bind.execute(statement, list(rows[start : start + BATCH]))


def _note_and_clear_rooms() -> dict[str, list[tuple[int, int, int]]]:
    """Every booking's (id, clinic, room), per table; then the rooms are cleared so ``room`` can be copied."""
    bind = op.get_bind()
    noted: dict[str, list[tuple[int, int, int]]] = {}
    for table in BOOKING_TABLES:
        rows = bind.execute(
            sa.select(table.c.id, table.c.clinic_event_id, table.c.room_id).where(table.c.room_id.is_not(None))
        ).all()
        noted[table.name] = [(r.id, r.clinic_event_id, r.room_id) for r in rows]
        bind.execute(sa.update(table).where(table.c.room_id.is_not(None)).values(room_id=None))
    return noted


def _put_rooms_back(noted: dict[str, list[tuple[int, int, int]]], new_room: dict[tuple[int, int], int]) -> None:
    """Point each noted booking at its room again: ``new_room`` maps (clinic, old room) to the room's new id."""
    for table in BOOKING_TABLES:
        statement = sa.update(table).where(table.c.id == sa.bindparam("row_id")).values(room_id=sa.bindparam("room"))
        rows = [{"row_id": row_id, "room": new_room[(clinic, old)]} for row_id, clinic, old in noted[table.name]]
        _execute_many(statement, rows)


# ------------------------------------------------------------------------------------------------------------
# Upgrade
# ------------------------------------------------------------------------------------------------------------


def upgrade() -> None:
    _create_catalogue_tables()
    _add_clinic_venue_column()
    venue_of_clinic = _fill_venues()
    survivor, links = _merge_rooms(venue_of_clinic)
    noted = _note_and_clear_rooms()
    _rebuild_room_for_venues(survivor)
    _put_rooms_back(noted, {(clinic, old): survivor[old] for rows in noted.values() for _, clinic, old in rows})
    _create_clinic_rooms(links | {(clinic, survivor[old]) for rows in noted.values() for _, clinic, old in rows})


def _create_catalogue_tables() -> None:
    op.create_table(
        "venue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        _text("name", 200),
        _text("address", 400),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_id", "name"),
    )
    op.create_index("ix_venue_service_id", "venue", ["service_id"], unique=False)
    op.create_table(
        "buildingwalk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        _text("first_building", 100),
        _text("second_building", 100),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["venue_id"], ["venue.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("venue_id", "first_building", "second_building"),
    )
    op.create_index("ix_buildingwalk_venue_id", "buildingwalk", ["venue_id"], unique=False)


def _add_clinic_venue_column() -> None:
    """In place on both databases: copying ``clinicevent`` would cascade-delete its children on SQLite."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE clinicevent ADD COLUMN venue_id INTEGER REFERENCES venue (id)")
    else:
        op.add_column("clinicevent", sa.Column("venue_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_clinicevent_venue_id_venue", "clinicevent", "venue", ["venue_id"], ["id"])
    op.create_index("ix_clinicevent_venue_id", "clinicevent", ["venue_id"], unique=False)


def _fill_venues() -> dict[int, int]:
    """One venue per distinct venue text per service; each clinic pointed at its venue. Returns clinic -> venue."""
    bind = op.get_bind()
    clinics = bind.execute(
        sa.select(clinicevent.c.id, clinicevent.c.service_id, clinicevent.c.venue).order_by(clinicevent.c.id)
    ).all()
    with_rooms = {r[0] for r in bind.execute(sa.select(room.c.clinic_event_id).distinct()).all()}
    venue_ids: dict[tuple[int, str], int] = {}
    venue_of_clinic: dict[int, int] = {}
    for clinic in clinics:
        text = (clinic.venue or "").strip()
        if not text and clinic.id not in with_rooms:
            continue  # no venue and no rooms: nothing to put in the catalogue
        name = text or UNNAMED_VENUE
        key = (clinic.service_id, name.casefold())
        if key not in venue_ids:
            venue_ids[key] = bind.execute(
                sa.insert(venue)
                .values(service_id=clinic.service_id, name=name, address="", archived=False, version=1)
                .returning(venue.c.id)
            ).scalar_one()
        venue_of_clinic[clinic.id] = venue_ids[key]
    venue_names = {row.id: row.name for row in bind.execute(sa.select(venue.c.id, venue.c.name)).all()}
    statement = (
        sa.update(clinicevent)
        .where(clinicevent.c.id == sa.bindparam("clinic"))
        .values(venue_id=sa.bindparam("venue_ref"), venue=sa.bindparam("venue_name"))
    )
    rows = [
        {"clinic": clinic, "venue_ref": ref, "venue_name": venue_names[ref] if text_named(venue_names[ref]) else ""}
        for clinic, ref in venue_of_clinic.items()
    ]
    _execute_many(statement, rows)
    return venue_of_clinic


def text_named(name: str) -> bool:
    """Whether a venue's name is one a clinic shows (the placeholder for unnamed rooms is not)."""
    return name != UNNAMED_VENUE


def _merge_rooms(venue_of_clinic: dict[int, int]) -> tuple[dict[int, int], set[tuple[int, int]]]:
    """Rooms with the same building and name within a venue become one (the lowest id): returns old room -> kept
    room, and the (clinic, kept room) links. The merged-away rows are deleted once nothing points at them."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(room.c.id, room.c.clinic_event_id, room.c.name, room.c.building).order_by(room.c.id)
    ).all()
    kept: dict[tuple[int, str, str], int] = {}
    survivor: dict[int, int] = {}
    links: set[tuple[int, int]] = set()
    for row in rows:
        key = (venue_of_clinic[row.clinic_event_id], row.building.strip().casefold(), row.name.strip().casefold())
        survivor[row.id] = kept.setdefault(key, row.id)
        links.add((row.clinic_event_id, survivor[row.id]))
    _point_rooms_at_venues(rows, venue_of_clinic)
    return survivor, links


def _point_rooms_at_venues(rows: Iterable[sa.Row[tuple[int, int, str, str]]], venue_of_clinic: dict[int, int]) -> None:
    op.add_column("room", sa.Column("venue_id", sa.Integer(), nullable=True))  # in place; filled, then constrained
    statement = sa.update(room).where(room.c.id == sa.bindparam("room_ref")).values(venue_id=sa.bindparam("venue_ref"))
    _execute_many(statement, [{"room_ref": r.id, "venue_ref": venue_of_clinic[r.clinic_event_id]} for r in rows])


def _rebuild_room_for_venues(survivor: dict[int, int]) -> None:
    """Merged-away rooms deleted (no booking points at any room now), then ``room`` reshaped for the catalogue."""
    merged_away = sorted(old for old, kept in survivor.items() if old != kept)
    # Each room deleted (and each row of SQLite's table copy below) has its foreign keys checked against
    # clinicstaffing.room_id, which had no index: a scan of the staffing per room, 14 minutes on the 10,000-patient
    # database. A temporary index makes each check a lookup (revision 0009 adds a permanent one).
    op.create_index("tmp_clinicstaffing_room_id", "clinicstaffing", ["room_id"])
    for start in range(0, len(merged_away), BATCH):
        op.get_bind().execute(sa.delete(room).where(room.c.id.in_(merged_away[start : start + BATCH])))
    op.drop_index("ix_room_clinic_event_id", table_name="room")
    # Dropping the column drops the old unique constraint and foreign key with it (PostgreSQL; SQLite's copy).
    with op.batch_alter_table("room") as batch:
        batch.drop_column("clinic_event_id")
        batch.alter_column("venue_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key("fk_room_venue_id_venue", "venue", ["venue_id"], ["id"])
        batch.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.create_unique_constraint("uq_room_venue_id_building_name", ["venue_id", "building", "name"])
        batch.create_index("ix_room_venue_id", ["venue_id"], unique=False)
    with op.batch_alter_table("room") as batch:  # the defaults served the existing rows only, as in the models
        batch.alter_column("archived", existing_type=sa.Boolean(), server_default=None)
        batch.alter_column("version", existing_type=sa.Integer(), server_default=None)
    op.drop_index("tmp_clinicstaffing_room_id", table_name="clinicstaffing")


def _create_clinic_rooms(links: set[tuple[int, int]]) -> None:
    op.create_table(
        "clinicroom",
        sa.Column("clinic_event_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_event_id"], ["clinicevent.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"]),
        sa.PrimaryKeyConstraint("clinic_event_id", "room_id"),
    )
    op.create_index("ix_clinicroom_room_id", "clinicroom", ["room_id"], unique=False)
    _execute_many(sa.insert(clinicroom), [{"clinic_event_id": c, "room_id": r} for c, r in sorted(links)])


# ------------------------------------------------------------------------------------------------------------
# Downgrade
# ------------------------------------------------------------------------------------------------------------


def downgrade() -> None:
    bind = op.get_bind()
    uses = {(r.clinic_event_id, r.room_id) for r in bind.execute(sa.select(clinicroom)).all()}
    noted = _note_and_clear_rooms()
    uses |= {(clinic, old) for rows in noted.values() for _, clinic, old in rows}
    catalogue = {r.id: (r.name, r.building) for r in bind.execute(sa.select(room.c.id, room.c.name, room.c.building))}
    op.drop_index("ix_clinicroom_room_id", table_name="clinicroom")
    op.drop_table("clinicroom")
    bind.execute(sa.delete(room))
    _rebuild_room_for_clinics()
    new_room: dict[tuple[int, int], int] = {}
    for clinic, old in sorted(uses):
        name, building = catalogue[old]
        new_room[(clinic, old)] = bind.execute(
            sa.insert(room).values(clinic_event_id=clinic, name=name, building=building).returning(room.c.id)
        ).scalar_one()
    _put_rooms_back(noted, new_room)
    op.drop_index("ix_clinicevent_venue_id", table_name="clinicevent")
    if bind.dialect.name != "sqlite":
        op.drop_constraint("fk_clinicevent_venue_id_venue", "clinicevent", type_="foreignkey")
    op.execute("ALTER TABLE clinicevent DROP COLUMN venue_id")  # in place on SQLite (3.35+) and PostgreSQL alike
    op.drop_index("ix_buildingwalk_venue_id", table_name="buildingwalk")
    op.drop_table("buildingwalk")
    op.drop_index("ix_venue_service_id", table_name="venue")
    op.drop_table("venue")


def _rebuild_room_for_clinics() -> None:
    """``room`` as revision 0006 had it (the table is empty here: its rows are put back per clinic)."""
    op.drop_index("ix_room_venue_id", table_name="room")
    with op.batch_alter_table("room") as batch:
        batch.drop_column("venue_id")
        batch.drop_column("archived")
        batch.drop_column("version")
        batch.add_column(sa.Column("clinic_event_id", sa.Integer(), nullable=False))
        batch.create_foreign_key(
            "fk_room_clinic_event_id_clinicevent", "clinicevent", ["clinic_event_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_unique_constraint("uq_room_clinic_event_id_name_building", ["clinic_event_id", "name", "building"])
        batch.create_index("ix_room_clinic_event_id", ["clinic_event_id"], unique=False)
