"""two covering indexes for the dashboard: remains by (site, individual), so the remains and the
minimum number of individuals per site are counted on the index alone, and samples by (state,
remains), so the samples not yet profiled are counted without reading the sample table [#11]

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 15:20:00
"""
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_remains_site_individual', 'remains', ['site_id', 'individual_id'], unique=False)
    op.create_index('ix_sample_state_remains', 'sample', ['state', 'remains_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sample_state_remains', table_name='sample')
    op.drop_index('ix_remains_site_individual', table_name='remains')
