"""the dashboard's stored figures [#11]: computed by a worker job (``dashboard_refresh``), shown
by the page with the time they were computed, so no web request computes the aggregates

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03 18:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('data_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_dashboard_snapshot_job_id_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_snapshot'))
    )


def downgrade() -> None:
    op.drop_table('dashboard_snapshot')
