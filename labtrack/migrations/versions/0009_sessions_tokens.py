"""sessions end at logout (session epoch); tokens carry a role and an expiry

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('api_token') as batch:
        batch.add_column(sa.Column('role', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.drop_column('expires_at')
        batch.drop_column('role')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('session_epoch')
