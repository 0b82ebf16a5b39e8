"""name index: a trigram text index (SQLite FTS5 table with triggers; PostgreSQL pg_trgm GIN)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 22:00:00
"""
from alembic import op

from labtrack.models.search import drop_text_index, install_text_index

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # where the database cannot have the index (no FTS5, no pg_trgm), nothing is created and
    # the name search scans the keys instead (services/name_search.py)
    install_text_index(op.get_bind())


def downgrade() -> None:
    drop_text_index(op.get_bind())
