"""Extract user-facing strings, merge them into the Arabic catalogue, compile it.

    python scripts/translations.py            # extract + update + compile

Besides gettext's own keywords, ``_l`` (lazy_gettext) and the services' message markers ``msg`` and
``nmsg`` (labtrack.core.messages) are extracted; folders starting with ``_`` (templates/_macros)
are read too. tests/core/test_translations.py extracts with the same settings (``extract``).
"""

from __future__ import annotations

import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "labtrack" / "translations"
POT = ROOT / "labtrack" / "translations" / "messages.pot"
SOURCES = ("labtrack", "templates")
KEYWORDS = {"_l": None, "msg": None, "nmsg": (1, 2)}
IGNORE_DIRS = (".*", "__pycache__")


def _wanted(directory: str) -> bool:
    return not any(fnmatch(Path(directory).name, pattern) for pattern in IGNORE_DIRS)


def extract() -> dict[str, list[tuple[str, int]]]:
    """Every message id in the sources (a plural's singular id), with where it occurs."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, **KEYWORDS}
    found: dict[str, list[tuple[str, int]]] = {}
    for source in SOURCES:
        for filename, line, message, _comments, _context in extract_from_dir(
                ROOT / source, method_map, options_map, keywords=keywords, directory_filter=_wanted):
            message_id = message[0] if isinstance(message, tuple) else message
            found.setdefault(message_id, []).append((f"{source}/{filename}", line))
    return found


def run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def main() -> None:
    keywords = [part for name, spec in KEYWORDS.items()
                for part in ("-k", name if spec is None else f"{name}:{','.join(map(str, spec))}")]
    run("extract", "-F", "babel.cfg", *keywords, "--ignore-dirs", " ".join(IGNORE_DIRS), "--no-location",
        "--omit-header", "-o", str(POT), *SOURCES)
    po = TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po"
    if po.exists():
        run("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "ar", "--no-fuzzy-matching", "-w", "120")
    else:
        run("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "ar")
    run("compile", "-d", str(TRANSLATIONS), "--use-fuzzy")


if __name__ == "__main__":
    main()
