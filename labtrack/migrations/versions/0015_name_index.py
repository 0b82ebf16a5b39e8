"""name index: search keys of missing persons' and donors' names (Arabic and Latin variants)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:10:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from labtrack.core import names

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('name_index',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('search_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_name_index')),
    sa.UniqueConstraint('kind', 'person_id', name=op.f('uq_name_index_kind_person_id'))
    )
    op.create_index(op.f('ix_name_index_birth_year'), 'name_index', ['birth_year'], unique=False)
    # the keys of the people registered so far (services/name_index.py keeps them from now on)
    connection = op.get_bind()
    table = sa.table('name_index', sa.column('kind'), sa.column('person_id'), sa.column('search_key'),
                     sa.column('birth_year'))
    sources = {
        'missing_person': "SELECT id, name_ar, name_latin, disappearance_place, birth_year FROM missing_person",
        'donor': "SELECT id, name_ar, name_latin, '', birth_year FROM donor",
    }
    for kind, query in sources.items():
        rows = [{'kind': kind, 'person_id': pid, 'search_key': names.search_key(ar or '', latin or '', place or ''),
                 'birth_year': year}
                for pid, ar, latin, place, year in connection.execute(sa.text(query))]
        if rows:
            connection.execute(sa.insert(table), rows)


def downgrade() -> None:
    op.drop_index(op.f('ix_name_index_birth_year'), table_name='name_index')
    op.drop_table('name_index')
