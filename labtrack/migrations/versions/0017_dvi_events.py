"""dvi events: closed events (remains and missing persons), joint DVI analyses (append-only),
identifications proposed from them and their four-eyes review (append-only)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 21:50:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from labtrack.db import install_append_only_guards


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dvi_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('grave', 'prison_list', 'other')", name=op.f('ck_dvi_event_kind')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_dvi_event_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dvi_event'))
    )
    with op.batch_alter_table('dvi_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dvi_event_code'), ['code'], unique=True)

    op.create_table('dvi_analysis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('frequency_table_id', sa.Integer(), nullable=True),
    sa.Column('input_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('engine_version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('n_victims', sa.Integer(), nullable=False),
    sa.Column('n_missing', sa.Integer(), nullable=False),
    sa.Column('result_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['dvi_event.id'], name=op.f('fk_dvi_analysis_event_id_dvi_event')),
    sa.ForeignKeyConstraint(['frequency_table_id'], ['frequency_table.id'], name=op.f('fk_dvi_analysis_frequency_table_id_frequency_table')),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_dvi_analysis_job_id_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dvi_analysis'))
    )
    with op.batch_alter_table('dvi_analysis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dvi_analysis_event_id'), ['event_id'], unique=False)

    op.create_table('dvi_event_missing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('missing_person_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['dvi_event.id'], name=op.f('fk_dvi_event_missing_event_id_dvi_event')),
    sa.ForeignKeyConstraint(['missing_person_id'], ['missing_person.id'], name=op.f('fk_dvi_event_missing_missing_person_id_missing_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dvi_event_missing')),
    sa.UniqueConstraint('event_id', 'missing_person_id', name=op.f('uq_dvi_event_missing_event_id_missing_person_id'))
    )
    with op.batch_alter_table('dvi_event_missing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dvi_event_missing_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dvi_event_missing_missing_person_id'), ['missing_person_id'], unique=False)

    op.create_table('dvi_event_remains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('remains_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['dvi_event.id'], name=op.f('fk_dvi_event_remains_event_id_dvi_event')),
    sa.ForeignKeyConstraint(['remains_id'], ['remains.id'], name=op.f('fk_dvi_event_remains_remains_id_remains')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dvi_event_remains')),
    sa.UniqueConstraint('event_id', 'remains_id', name=op.f('uq_dvi_event_remains_event_id_remains_id'))
    )
    with op.batch_alter_table('dvi_event_remains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dvi_event_remains_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dvi_event_remains_remains_id'), ['remains_id'], unique=False)

    op.create_table('dvi_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('analysis_id', sa.Integer(), nullable=False),
    sa.Column('remains_id', sa.Integer(), nullable=False),
    sa.Column('missing_person_id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('pairing_probability', sa.Float(), nullable=False),
    sa.Column('log10_lr', sa.Float(), nullable=True),
    sa.Column('conclusion', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['analysis_id'], ['dvi_analysis.id'], name=op.f('fk_dvi_proposal_analysis_id_dvi_analysis')),
    sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], name=op.f('fk_dvi_proposal_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], name=op.f('fk_dvi_proposal_family_id_family')),
    sa.ForeignKeyConstraint(['missing_person_id'], ['missing_person.id'], name=op.f('fk_dvi_proposal_missing_person_id_missing_person')),
    sa.ForeignKeyConstraint(['remains_id'], ['remains.id'], name=op.f('fk_dvi_proposal_remains_id_remains')),
    sa.ForeignKeyConstraint(['signature_id'], ['signature.id'], name=op.f('fk_dvi_proposal_signature_id_signature')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dvi_proposal'))
    )
    with op.batch_alter_table('dvi_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dvi_proposal_analysis_id'), ['analysis_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dvi_proposal_missing_person_id'), ['missing_person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dvi_proposal_remains_id'), ['remains_id'], unique=False)

    op.create_table('dvi_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=True),
    sa.Column('identification_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("step IN ('approve', 'send_back')", name=op.f('ck_dvi_review_step')),
    sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], name=op.f('fk_dvi_review_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['identification_id'], ['identification.id'], name=op.f('fk_dvi_review_identification_id_identification')),
    sa.ForeignKeyConstraint(['proposal_id'], ['dvi_proposal.id'], name=op.f('fk_dvi_review_proposal_id_dvi_proposal')),
    sa.ForeignKeyConstraint(['signature_id'], ['signature.id'], name=op.f('fk_dvi_review_signature_id_signature')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dvi_review')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_dvi_review_proposal_id'))
    )
    with op.batch_alter_table('dvi_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dvi_review_proposal_id'), ['proposal_id'], unique=False)
    install_append_only_guards(op.get_bind(), ("dvi_analysis", "dvi_proposal", "dvi_review"))


def downgrade() -> None:
    with op.batch_alter_table('dvi_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dvi_review_proposal_id'))

    op.drop_table('dvi_review')
    with op.batch_alter_table('dvi_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dvi_proposal_remains_id'))
        batch_op.drop_index(batch_op.f('ix_dvi_proposal_missing_person_id'))
        batch_op.drop_index(batch_op.f('ix_dvi_proposal_analysis_id'))

    op.drop_table('dvi_proposal')
    with op.batch_alter_table('dvi_event_remains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dvi_event_remains_remains_id'))
        batch_op.drop_index(batch_op.f('ix_dvi_event_remains_event_id'))

    op.drop_table('dvi_event_remains')
    with op.batch_alter_table('dvi_event_missing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dvi_event_missing_missing_person_id'))
        batch_op.drop_index(batch_op.f('ix_dvi_event_missing_event_id'))

    op.drop_table('dvi_event_missing')
    with op.batch_alter_table('dvi_analysis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dvi_analysis_event_id'))

    op.drop_table('dvi_analysis')
    with op.batch_alter_table('dvi_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dvi_event_code'))

    op.drop_table('dvi_event')
