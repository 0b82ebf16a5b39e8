"""profile quality remarks kept as messages (a JSON list beside the English qc_notes), so that
pages say them in the reader's language [#12]; older profiles keep their English text only

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 07:50:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (profile is referenced by other tables: no batch rebuild)
    op.add_column('profile', sa.Column('qc_notes_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                       server_default=''))


def downgrade() -> None:
    op.drop_column('profile', 'qc_notes_json')
