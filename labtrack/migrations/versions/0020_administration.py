"""administration and corrections: a password reset makes the user choose a new one at the next
login; a person removed from a family tree is kept (append-only) with who removed them and why

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 02:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from labtrack.db import install_append_only_guards

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), server_default='0', nullable=False))
    op.create_table(
        'removed_pedigree_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('person_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('sex', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column('father_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('mother_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('donor_id', sa.Integer(), nullable=True),
        sa.Column('missing_person_id', sa.Integer(), nullable=True),
        sa.Column('relation_label', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('removed_by_id', sa.Integer(), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['family_id'], ['family.id'],
                                name=op.f('fk_removed_pedigree_member_family_id_family')),
        sa.ForeignKeyConstraint(['donor_id'], ['donor.id'],
                                name=op.f('fk_removed_pedigree_member_donor_id_donor')),
        sa.ForeignKeyConstraint(['missing_person_id'], ['missing_person.id'],
                                name=op.f('fk_removed_pedigree_member_missing_person_id_missing_person')),
        sa.ForeignKeyConstraint(['removed_by_id'], ['user_account.id'],
                                name=op.f('fk_removed_pedigree_member_removed_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_removed_pedigree_member')),
    )
    with op.batch_alter_table('removed_pedigree_member') as batch:
        batch.create_index(batch.f('ix_removed_pedigree_member_family_id'), ['family_id'], unique=False)
    install_append_only_guards(op.get_bind(), ("removed_pedigree_member",))


def downgrade() -> None:
    op.drop_table('removed_pedigree_member')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('must_change_password')
