"""audit log append-only on PostgreSQL includes TRUNCATE

Migration 0002's PostgreSQL trigger is per row (BEFORE UPDATE OR DELETE ... FOR EACH ROW), and TRUNCATE fires no
row triggers: ``TRUNCATE auditevent`` still emptied the log. This revision adds a statement trigger refusing
TRUNCATE with the same message (reusing 0002's function). SQLite has no TRUNCATE (its ``DELETE FROM`` without a
WHERE is refused by 0002's trigger): nothing to do there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON auditevent "
            "FOR EACH STATEMENT EXECUTE FUNCTION auditevent_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS auditevent_no_truncate ON auditevent")
