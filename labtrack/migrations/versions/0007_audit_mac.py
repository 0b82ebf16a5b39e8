"""audit entries carry an HMAC with a key kept outside the database; the document register is append-only

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:00:00
"""
import sqlalchemy as sa
from alembic import op

from labtrack.db import install_append_only_guards

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # entries written before this migration keep a NULL mac: the first keyed entry vouches for them
    op.add_column('audit_entry', sa.Column('mac', sa.String(length=64), nullable=True))
    # the document register becomes append-only like the documents' bytes
    install_append_only_guards(op.get_bind(), ("issued_document",))


def downgrade() -> None:
    with op.batch_alter_table('audit_entry') as batch:
        batch.drop_column('mac')
