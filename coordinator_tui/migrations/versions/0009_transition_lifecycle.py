"""transition checklists that follow the young person: the patient facts the rules read, closing, missed items

The transition rules read facts the patient record could not hold. This revision adds to ``patient``:

- ``ehcp_reviewed_on``: the date the Education, Health and Care Plan was issued or last reviewed;
- ``receives_dla`` and ``dla_appointee_parent``: gets Disability Living Allowance for children, and a parent is its
  appointee (the PIP items follow from these);
- ``learning_disability``, ``diabetes_not_diet_controlled``, ``hypothyroidism`` and ``may_lack_capacity``: what
  the annual health check, the medical exemption certificate and deputyship planning depend on;
- ``school_year_offset``: school years behind (positive) or ahead (negative) of the year group for the child's age,
  for a child educated out of year group;
- ``checklist_closed_on`` and ``checklist_closed_reason``: when and why the transition checklist closed.

``transitionitem.not_applicable_reason`` is renamed ``status_reason``: it now also holds why an item was missed,
and ``TransitionStatus`` gains ``MISSED`` (on PostgreSQL a value added to the native enum type; on SQLite the text
column is already long enough, as ``NOT_APPLICABLE`` is longer).

``clinicstaffing.room_id`` gets the index every other foreign key to ``room`` has: without it, deleting a room
checks the foreign key by reading every staffing row.

The downgrade records a missed item as not applicable (the nearest old status) and drops the columns in place;
PostgreSQL cannot drop an enum value, so the type keeps ``MISSED``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGS = (
    "receives_dla",
    "dla_appointee_parent",
    "learning_disability",
    "diabetes_not_diet_controlled",
    "hypothyroidism",
    "may_lack_capacity",
)


def _patient_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("ehcp_reviewed_on", sa.Date(), nullable=True),
        *(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()) for name in FLAGS),
        sa.Column("school_year_offset", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("checklist_closed_on", sa.Date(), nullable=True),
        sa.Column(
            "checklist_closed_reason",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            nullable=False,
            server_default="",
        ),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TYPE transitionstatus ADD VALUE IF NOT EXISTS 'MISSED'")
    for column in _patient_columns():
        op.add_column("patient", column)
    # SQLite (3.25 and later) and PostgreSQL both rename a column in place, without copying the table.
    op.execute("ALTER TABLE transitionitem RENAME COLUMN not_applicable_reason TO status_reason")
    op.create_index("ix_clinicstaffing_room_id", "clinicstaffing", ["room_id"])


def downgrade() -> None:
    op.drop_index("ix_clinicstaffing_room_id", table_name="clinicstaffing")
    op.execute("UPDATE transitionitem SET status = 'NOT_APPLICABLE' WHERE status = 'MISSED'")
    op.execute("ALTER TABLE transitionitem RENAME COLUMN status_reason TO not_applicable_reason")
    # Dropped in place (SQLite 3.35 and later): a copy of ``patient`` would cascade-delete every row pointing at it.
    for column in _patient_columns():
        op.execute(f"ALTER TABLE patient DROP COLUMN {column.name}")
