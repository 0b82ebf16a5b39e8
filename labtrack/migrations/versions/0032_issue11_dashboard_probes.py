"""two indexes for the dashboard's funnel: the release events alone (partial), so the "returned"
stage no longer reads every custody event, and profiles by (sample, superseded), so the
"profiled" stage probes whether a sample has a current profile on the index alone [#11]

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03 18:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_custody_event_release', 'custody_event', ['item_id'], unique=False,
                    sqlite_where=sa.text("action = 'release'"), postgresql_where=sa.text("action = 'release'"))
    op.create_index('ix_profile_sample_current', 'profile', ['sample_id', 'superseded'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_profile_sample_current', table_name='profile')
    op.drop_index('ix_custody_event_release', table_name='custody_event')
