"""match near misses: families one or two loci exclude, kept for an analyst

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD/DROP COLUMN (SQLite 3.35+ and PostgreSQL): no table copy, so the foreign keys of
    # match_review and match_evidence keep pointing at the same table
    op.add_column('match', sa.Column('near_miss', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('match', sa.Column('excluded_loci', sqlmodel.sql.sqltypes.AutoString(length=400),
                                     server_default='', nullable=False))


def downgrade() -> None:
    op.drop_column('match', 'excluded_loci')
    op.drop_column('match', 'near_miss')
