"""indexes of the server lists: the columns lists sort and filter by (missing persons, donors,
samples, issued documents)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:30:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

INDEXES = [
    ('missing_person', 'ix_missing_person_status', ['status']),
    ('missing_person', 'ix_missing_person_birth_year', ['birth_year']),
    ('missing_person', 'ix_missing_person_name_latin', ['name_latin']),
    ('donor', 'ix_donor_name_latin', ['name_latin']),
    ('sample', 'ix_sample_state', ['state']),
    ('issued_document', 'ix_issued_document_at', ['at']),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
