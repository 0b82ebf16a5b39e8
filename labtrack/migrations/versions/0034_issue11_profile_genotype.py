"""each profile's genotype as a digest (profile_genotype), written with its alleles, so that the
dashboard counts distinct genotypes without reading every allele row; the existing profiles'
digests are computed here from their alleles [#11]

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03 18:45:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from labtrack.core import genotype_digest

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

_BATCH = 5000


def backfill(connection: sa.Connection) -> int:
    """The digest of every profile with alleles and no digest yet, from its allele rows read in
    profile order (one pass, a batch of digests written at a time); returns how many."""
    rows = connection.execute(sa.text(
        "SELECT a.profile_id, a.locus, a.allele1, a.allele2 FROM profile_allele a "
        "WHERE NOT EXISTS (SELECT 1 FROM profile_genotype g WHERE g.profile_id = a.profile_id) "
        "ORDER BY a.profile_id"), execution_options={"yield_per": _BATCH})  # streamed, not all in memory
    digests: list[dict[str, object]] = []
    current, calls, written = None, [], 0
    insert = sa.text("INSERT INTO profile_genotype (profile_id, digest) VALUES (:profile_id, :digest)")
    for profile_id, locus, allele1, allele2 in rows:
        if profile_id != current:
            if current is not None:
                digests.append({"profile_id": current, "digest": genotype_digest.digest(calls)})
            current, calls = profile_id, []
        calls.append((locus, allele1, allele2))
    if current is not None:
        digests.append({"profile_id": current, "digest": genotype_digest.digest(calls)})
    for start in range(0, len(digests), _BATCH):
        connection.execute(insert, digests[start:start + _BATCH])
        written += len(digests[start:start + _BATCH])
    return written


def upgrade() -> None:
    op.create_table('profile_genotype',
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['profile.id'], name=op.f('fk_profile_genotype_profile_id_profile')),
    sa.PrimaryKeyConstraint('profile_id', name=op.f('pk_profile_genotype'))
    )
    backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table('profile_genotype')
