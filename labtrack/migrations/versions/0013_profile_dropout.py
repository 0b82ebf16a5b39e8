"""profile drop-out: a badly degraded sample's own drop-out probability

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('profile', sa.Column('dropout', sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column('profile', 'dropout')
