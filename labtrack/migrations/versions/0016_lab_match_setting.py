"""lab_match_setting: the lab's default kinship models for match runs, kept as a history
(append-only; each change names the setting it replaces)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 22:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from labtrack.db import install_append_only_guards

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lab_match_setting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('values_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=False),
        sa.Column('supersedes_id', sa.Integer(), nullable=True),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['set_by_id'], ['user_account.id'],
                                name=op.f('fk_lab_match_setting_set_by_id_user_account')),
        sa.ForeignKeyConstraint(['supersedes_id'], ['lab_match_setting.id'],
                                name=op.f('fk_lab_match_setting_supersedes_id_lab_match_setting')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_match_setting')),
    )
    install_append_only_guards(op.get_bind(), ("lab_match_setting",))


def downgrade() -> None:
    op.drop_table('lab_match_setting')
