"""Extract user-facing strings, merge them into the Arabic catalogue, compile it.

    python scripts/translations.py            # extract + update + compile
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "labtrack" / "translations"
POT = ROOT / "labtrack" / "translations" / "messages.pot"


def run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def main() -> None:
    run("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--omit-header", "-o", str(POT),
        "labtrack", "templates")
    po = TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po"
    if po.exists():
        run("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "ar", "--no-fuzzy-matching", "-w", "120")
    else:
        run("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "ar")
    run("compile", "-d", str(TRANSLATIONS), "--use-fuzzy")


if __name__ == "__main__":
    main()
