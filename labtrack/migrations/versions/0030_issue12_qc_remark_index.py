"""a partial index of the profiles with a quality remark: the profiles list filters them by the
kind of remark (message id) without reading every profile [#12]

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 11:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

_REMARKED = sa.text("qc_notes != ''")


def upgrade() -> None:
    op.create_index('ix_profile_qc_remarked', 'profile', ['id'], unique=False,
                    sqlite_where=_REMARKED, postgresql_where=_REMARKED)


def downgrade() -> None:
    op.drop_index('ix_profile_qc_remarked', table_name='profile')
