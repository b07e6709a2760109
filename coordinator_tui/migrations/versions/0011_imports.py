"""spreadsheet imports: what each record's last import set

``importedvalues`` keeps, for each record a spreadsheet import created or updated (its kind and id), the values
the import set (JSON), the file's name and the sha256 of its content, and when. A later import of a changed file
updates a field only where the record still holds what the last import set; a field changed in the app since is
reported as a conflict. The downgrade drops the table (the records themselves are untouched).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from coordinator_tui.models import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "importedvalues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("imported", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "record_id", name="uq_importedvalues_record"),
    )


def downgrade() -> None:
    op.drop_table("importedvalues")
