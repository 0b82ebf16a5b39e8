"""The pure core (kinship engine, core rules) pulls in no web, database or service code when imported."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "flask",
    "sqlmodel",
    "sqlalchemy",
    "labtrack.web",
    "labtrack.services",
    "labtrack.models",
)


def test_kinship_imports_no_web_or_database_code() -> None:
    code = (
        "import sys, labtrack.kinship, labtrack.imports.exchange, labtrack.core.custody_rules,"
        " labtrack.core.errors, labtrack.core.ids, labtrack.core.kits, labtrack.core.lifecycle,"
        " labtrack.core.review_rules, labtrack.core.scanning;"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or "
        f"any(m == f or m.startswith(f + '.') for f in {FORBIDDEN!r})];"
        "print(','.join(sorted(bad)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_public_api_is_declared() -> None:
    import labtrack.kinship as kinship

    for name in kinship.__all__:
        assert hasattr(kinship, name), name
    for name in ("Pedigree", "FrequencyTable", "mp_lr_table", "mp_lr_tables", "genotype_index",
                 "posterior", "case_lr", "MutationModel"):
        assert name in kinship.__all__
