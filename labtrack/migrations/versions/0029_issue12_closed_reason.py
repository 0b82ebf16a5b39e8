"""a match's closing reason kept as a message (JSON beside the English closed_reason), so that the
match-run and review pages say it in the reader's language [#12]; older matches keep their English

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 08:05:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (match is referenced by append-only tables: no batch rebuild)
    op.add_column('match', sa.Column('closed_reason_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                     server_default=''))


def downgrade() -> None:
    op.drop_column('match', 'closed_reason_json')
