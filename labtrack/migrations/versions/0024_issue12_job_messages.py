"""job and match-run texts kept as messages (id and parameters, JSON) beside their English text, so
that pages say them in the reader's language [#12]; older rows keep their English text only

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 07:10:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

_COLUMNS = (("job", "error_json"), ("job", "stage_json"), ("job", "history_json"), ("match_run", "error_json"))


def upgrade() -> None:
    # plain ADD COLUMN (match_run is referenced by append-only tables: no batch rebuild)
    for table, column in _COLUMNS:
        op.add_column(table, sa.Column(column, sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))


def downgrade() -> None:
    for table, column in reversed(_COLUMNS):
        op.drop_column(table, column)
