"""missing person links: two reports of one person linked (append-only; withdrawn by a new row)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 22:30:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from labtrack.db import install_append_only_guards

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'missing_person_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('first_id', sa.Integer(), nullable=False),
        sa.Column('second_id', sa.Integer(), nullable=False),
        sa.Column('withdraws_id', sa.Integer(), nullable=True),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('same_person', 'withdrawn')", name=op.f('ck_missing_person_link_kind')),
        sa.CheckConstraint('first_id < second_id', name=op.f('ck_missing_person_link_ordered_pair')),
        sa.CheckConstraint("(kind = 'withdrawn') = (withdraws_id IS NOT NULL)",
                           name=op.f('ck_missing_person_link_withdrawal_ref')),
        sa.ForeignKeyConstraint(['first_id'], ['missing_person.id'],
                                name=op.f('fk_missing_person_link_first_id_missing_person')),
        sa.ForeignKeyConstraint(['second_id'], ['missing_person.id'],
                                name=op.f('fk_missing_person_link_second_id_missing_person')),
        sa.ForeignKeyConstraint(['withdraws_id'], ['missing_person_link.id'],
                                name=op.f('fk_missing_person_link_withdraws_id_missing_person_link')),
        sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'],
                                name=op.f('fk_missing_person_link_by_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_missing_person_link')),
        sa.UniqueConstraint('withdraws_id', name=op.f('uq_missing_person_link_withdraws_id')),
    )
    with op.batch_alter_table('missing_person_link') as batch:
        batch.create_index(batch.f('ix_missing_person_link_first_id'), ['first_id'], unique=False)
        batch.create_index(batch.f('ix_missing_person_link_second_id'), ['second_id'], unique=False)
    install_append_only_guards(op.get_bind(), ("missing_person_link",))


def downgrade() -> None:
    op.drop_table('missing_person_link')
