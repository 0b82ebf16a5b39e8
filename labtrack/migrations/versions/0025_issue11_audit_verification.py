"""audit verification [#11]: every verification of the audit chain by a worker job, kept
(append-only); a verified run is the high-water mark the next incremental run starts from

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 07:30:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from labtrack.db import install_append_only_guards

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_verification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('full', sa.Boolean(), nullable=False),
        sa.Column('from_seq', sa.Integer(), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('entries', sa.Integer(), nullable=False),
        sa.Column('to_seq', sa.Integer(), nullable=False),
        sa.Column('to_entry_id', sa.Integer(), nullable=True),
        sa.Column('to_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('mac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('break_seq', sa.Integer(), nullable=True),
        sa.Column('break_entry_id', sa.Integer(), nullable=True),
        sa.Column('problem', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_audit_verification_job_id_job')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_verification')),
    )
    install_append_only_guards(op.get_bind(), ("audit_verification",))


def downgrade() -> None:
    op.drop_table('audit_verification')
