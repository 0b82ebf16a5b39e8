"""match snapshots: the exact inputs of each computation of a candidate (match_evidence.inputs_json)

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (match_evidence is append-only and referenced: no batch rebuild)
    op.add_column('match_evidence', sa.Column('inputs_json', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                              server_default=''))


def downgrade() -> None:
    op.execute("ALTER TABLE match_evidence DROP COLUMN inputs_json")
