"""patient search key: names and hospital number folded, so a search finds Élodie, Ødegård and Łukasz

SQLite's LIKE ignores the case of ASCII letters only, so "élodie" did not find Élodie and "odegard" not Ødegård.
Each patient now stores ``search_key`` (``text_fold.search_key`` of given name, family name and hospital number:
case-folded, accents removed), kept by every save; the patient filter folds what was typed the same way and
compares with a plain LIKE (the same on SQLite and PostgreSQL). This revision adds the column, fills it for every
existing patient, and adds it to the patient list index so the filter still reads the index alone.

The column is added in place (``ALTER TABLE ... ADD COLUMN``), never by copying the table: with foreign keys
enforced, dropping the old copy of ``patient`` would delete every patient's contacts, care team and appointments.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from coordinator_tui.models import patient_search_key

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_LIST_COLUMNS = ["family_name", "given_name", "id", "archived", "nhs_number", "hospital_number", "date_of_birth"]
BATCH = 2000

patient = sa.table(
    "patient",
    sa.column("id", sa.Integer()),
    sa.column("given_name", sa.String()),
    sa.column("family_name", sa.String()),
    sa.column("hospital_number", sa.String()),
    sa.column("search_key", sa.String()),
)


def upgrade() -> None:
    op.add_column(
        "patient",
        sa.Column("search_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=""),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(patient.c.id, patient.c.given_name, patient.c.family_name, patient.c.hospital_number)
    ).all()
    update = sa.update(patient).where(patient.c.id == sa.bindparam("patient_id")).values(search_key=sa.bindparam("key"))
    for start in range(0, len(rows), BATCH):
        bind.execute(
            update,
            [
                {"patient_id": row.id, "key": patient_search_key(row.given_name, row.family_name, row.hospital_number)}
                for row in rows[start : start + BATCH]
            ],
        )
    op.drop_index("ix_patient_list", table_name="patient")
    op.create_index("ix_patient_list", "patient", [*OLD_LIST_COLUMNS, "search_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_patient_list", table_name="patient")
    op.create_index("ix_patient_list", "patient", OLD_LIST_COLUMNS, unique=False)
    op.execute("ALTER TABLE patient DROP COLUMN search_key")  # in place on SQLite (3.35+) and PostgreSQL alike
