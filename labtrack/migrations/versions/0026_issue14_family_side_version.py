"""issue 14: the family side's version, a counter the database advances (by triggers) on every
change of families, pedigrees, reference samples and profiles, consents and frequency tables, so
that a worker can keep the family side of its searches between runs

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 07:05:00
"""
import sqlalchemy as sa
from alembic import op

from labtrack.models.family_side import drop_family_side_triggers, install_family_side_triggers

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('family_side_version',
                    sa.Column('name', sa.String(length=40), nullable=False),
                    sa.Column('version', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('name', name=op.f('pk_family_side_version')))
    install_family_side_triggers(op.get_bind())


def downgrade() -> None:
    drop_family_side_triggers(op.get_bind())
    op.drop_table('family_side_version')
