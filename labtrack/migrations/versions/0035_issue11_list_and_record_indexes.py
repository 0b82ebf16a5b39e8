"""indexes of (name, id) for the missing persons' and donors' lists, so that a page sorted by
the Arabic or Latin name reads its keys in order from an index (the list's tie-breaker is the
id) instead of sorting every row: at 100,000 missing persons PostgreSQL's sort spilled to disk
with the default work_mem; the one-column Latin-name indexes are replaced (the new ones start
with the same column); and the documents and signatures of one record, looked up by
(record type, record id) on every identification and custody document page, get their index [#11]

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03 22:40:00
"""
from alembic import op

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

REPLACED = [('missing_person', 'ix_missing_person_name_latin', ['name_latin']),
            ('donor', 'ix_donor_name_latin', ['name_latin'])]
INDEXES = [(table, f'ix_{table}_{column}_id', [column, 'id'])
           for table in ('missing_person', 'donor') for column in ('name_ar', 'name_latin')] + \
    [(table, f'ix_{table}_record', ['record_type', 'record_id']) for table in ('issued_document', 'signature')]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    for table, name, _columns in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name, columns in REPLACED:
        op.create_index(name, table, columns, unique=False)
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
