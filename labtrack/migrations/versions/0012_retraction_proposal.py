"""a retraction needs two analysts: the first one's signed proposal

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from labtrack.db import install_append_only_guards

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'retraction_proposal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('identification_id', sa.Integer(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=False),
        sa.Column('signature_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['identification_id'], ['identification.id'],
                                name=op.f('fk_retraction_proposal_identification_id_identification')),
        sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'],
                                name=op.f('fk_retraction_proposal_by_user_id_user_account')),
        sa.ForeignKeyConstraint(['signature_id'], ['signature.id'],
                                name=op.f('fk_retraction_proposal_signature_id_signature')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_retraction_proposal')),
    )
    with op.batch_alter_table('retraction_proposal') as batch:
        batch.create_index(batch.f('ix_retraction_proposal_identification_id'), ['identification_id'], unique=True)
    install_append_only_guards(op.get_bind(), ("retraction_proposal",))


def downgrade() -> None:
    op.drop_table('retraction_proposal')
