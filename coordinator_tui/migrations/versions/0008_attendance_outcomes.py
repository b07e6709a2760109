"""a family's place at a clinic: did not attend, cancelled, and when and by whom the status last changed

An invitation could only be invited, confirmed, declined or attended, so a family that did not come, or whose place
was cancelled by the family or by the service, could not be recorded. This revision adds the two statuses
(``DID_NOT_ATTEND``, ``CANCELLED``) and three columns to ``clinicattendance``: ``status_changed_at`` (UTC),
``status_changed_by`` (the user who recorded it) and ``cancelled_by`` (``family``, ``service`` or blank).

On PostgreSQL the status is a native enum type, which gains the two values (``ALTER TYPE ... ADD VALUE``). On
SQLite it is a short text column: the table is copied once to widen it (nothing points at ``clinicattendance``, so
the copy touches no other table's rows).

The downgrade records a cancelled place as declined and a family that did not attend as attended (the nearest old
statuses), then drops the columns; PostgreSQL cannot drop an enum value, so the type keeps the two new values.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from coordinator_tui.models import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("INVITED", "CONFIRMED", "DECLINED", "ATTENDED")
NEW = (*OLD, "DID_NOT_ATTEND", "CANCELLED")


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("status_changed_at", UTCDateTime(), nullable=True),
        sa.Column(
            "status_changed_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=""
        ),
        sa.Column("cancelled_by", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for value in NEW[len(OLD) :]:
            op.execute(f"ALTER TYPE attendancestatus ADD VALUE IF NOT EXISTS '{value}'")
        for column in _columns():
            op.add_column("clinicattendance", column)
        return
    with op.batch_alter_table("clinicattendance") as batch:
        batch.alter_column(
            "status",
            existing_type=sa.Enum(*OLD, name="attendancestatus"),
            type_=sa.Enum(*NEW, name="attendancestatus"),
            existing_nullable=False,
        )
        for column in _columns():
            batch.add_column(column)


def downgrade() -> None:
    # Literal values: PostgreSQL compares them with its enum type, SQLite with text.
    op.execute("UPDATE clinicattendance SET status = 'DECLINED' WHERE status = 'CANCELLED'")
    op.execute("UPDATE clinicattendance SET status = 'ATTENDED' WHERE status = 'DID_NOT_ATTEND'")
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("clinicattendance") as batch:
        if not postgres:
            batch.alter_column(
                "status",
                existing_type=sa.Enum(*NEW, name="attendancestatus"),
                type_=sa.Enum(*OLD, name="attendancestatus"),
                existing_nullable=False,
            )
        for column in _columns():
            batch.drop_column(column.name)
