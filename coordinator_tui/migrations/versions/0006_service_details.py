"""service details in the database, and a professional's role and usual clinic days

The service's details were split between one workstation's ``settings.toml`` and the ``service`` row: a second
coordinator's desk saw another name, other clinic-day hours and no milestone rules. This revision gives the
service row everything shared by the team (short name for families, the phone number families call on the day, the
address, default clinic-day hours for children and adults, the reminder lead time, the walking time between
buildings, the service's own milestone rules as text, and when the first workstation's settings were moved in), and
a professional their role and usual clinic days.

Columns are added in place (``ALTER TABLE ... ADD COLUMN``) with server defaults, never by copying a table: with
foreign keys enforced, dropping the old copy of ``professional`` would break every care team and booking.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from coordinator_tui.models import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int | None = None) -> sa.Column[str]:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False, server_default="")


def _time(name: str, default: str) -> sa.Column[object]:
    return sa.Column(name, sa.Time(), nullable=False, server_default=default)


def _int(name: str, default: int) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False, server_default=str(default))


SERVICE_COLUMNS = [
    _text("short_name", 60),
    _text("phone", 20),
    _text("address", 400),
    _time("child_day_start", "09:00:00"),
    _time("child_day_end", "16:00:00"),
    _time("adult_day_start", "09:00:00"),
    _time("adult_day_end", "17:00:00"),
    _int("reminder_minutes_before", 60),
    _int("minutes_between_buildings", 10),
    _text("milestone_rules"),
    _text("milestone_rules_name", 260),
]
PROFESSIONAL_COLUMNS = [_text("role", 100), _text("usual_days", 40)]


def upgrade() -> None:
    for column in SERVICE_COLUMNS:
        op.add_column("service", column)
    op.add_column("service", sa.Column("settings_moved_on", UTCDateTime(), nullable=True))
    for column in PROFESSIONAL_COLUMNS:
        op.add_column("professional", column)


def downgrade() -> None:
    # Dropping a column copies the table on SQLite; batch mode does it without touching other tables' rows.
    with op.batch_alter_table("professional") as batch:
        for column in PROFESSIONAL_COLUMNS:
            batch.drop_column(column.name)
    with op.batch_alter_table("service") as batch:
        for column in [*SERVICE_COLUMNS, sa.Column("settings_moved_on")]:
            batch.drop_column(column.name)
