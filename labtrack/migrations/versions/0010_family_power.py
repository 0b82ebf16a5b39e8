"""family_power: identification power (EP/IP) of a family's references, computed by a worker job;
append-only

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:45:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from labtrack.db import install_append_only_guards

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'family_power',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('frequency_table_id', sa.Integer(), nullable=True),
        sa.Column('references', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('n_markers', sa.Integer(), nullable=False),
        sa.Column('ep_total', sa.Float(), nullable=False),
        sa.Column('ip_1e4', sa.Float(), nullable=False),
        sa.Column('mean_log10_lr', sa.Float(), nullable=False),
        sa.Column('nsim', sa.Integer(), nullable=False),
        sa.Column('result_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['family_id'], ['family.id'], name=op.f('fk_family_power_family_id_family')),
        sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_family_power_job_id_job')),
        sa.ForeignKeyConstraint(['frequency_table_id'], ['frequency_table.id'],
                                name=op.f('fk_family_power_frequency_table_id_frequency_table')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_family_power')),
    )
    with op.batch_alter_table('family_power', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_power_family_id'), ['family_id'], unique=False)
    install_append_only_guards(op.get_bind(), ("family_power",))


def downgrade() -> None:
    op.drop_table('family_power')
