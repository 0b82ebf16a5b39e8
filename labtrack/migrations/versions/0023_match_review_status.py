"""match review status: the status the review steps give, kept on the match (indexed with the LR
for the review queue), backfilled from the steps and guarded by triggers

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 02:00:00
"""
import sqlalchemy as sa
from alembic import op

from labtrack.models.review_status import backfill_sql, drop_review_status_guard, install_review_status_guard

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

_STATUSES = "'open', 'proposed_confirm', 'proposed_reject', 'confirmed', 'rejected'"
_OPEN = sa.text("closed_at IS NULL AND sample_id IS NOT NULL")  # the candidates the review queue lists


def upgrade() -> None:
    # a plain ADD COLUMN (match is referenced by append-only tables: no batch rebuild)
    op.execute("ALTER TABLE match ADD COLUMN review_status VARCHAR(20) DEFAULT 'open' NOT NULL "
               f"CONSTRAINT ck_match_review_status CHECK (review_status IN ({_STATUSES}))")
    op.execute(backfill_sql())
    op.create_index('ix_match_open_lr', 'match', ['log10_lr', 'id'], unique=False,
                    sqlite_where=_OPEN, postgresql_where=_OPEN)
    op.create_index('ix_match_open_status_lr', 'match', ['review_status', 'log10_lr', 'id'], unique=False,
                    sqlite_where=_OPEN, postgresql_where=_OPEN)
    op.create_index('ix_match_open_posterior', 'match', ['posterior', 'id'], unique=False,
                    sqlite_where=_OPEN, postgresql_where=_OPEN)
    install_review_status_guard(op.get_bind())


def downgrade() -> None:
    drop_review_status_guard(op.get_bind())
    op.drop_index('ix_match_open_posterior', table_name='match')
    op.drop_index('ix_match_open_status_lr', table_name='match')
    op.drop_index('ix_match_open_lr', table_name='match')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE match DROP CONSTRAINT IF EXISTS ck_match_review_status")
    op.execute("ALTER TABLE match DROP COLUMN review_status")
