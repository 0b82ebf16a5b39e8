"""accession counters: reference kits and documents numbered by a counter row, not by counting rows

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:10:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accession_counter',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('next_number', sa.Integer(), nullable=False),
    sa.CheckConstraint('next_number >= 0', name=op.f('ck_accession_counter_next_number')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_accession_counter'))
    )
    # no rows: a series without a row starts after the highest number in use (services.counters)


def downgrade() -> None:
    op.drop_table('accession_counter')
