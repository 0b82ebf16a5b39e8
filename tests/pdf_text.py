"""Read a PDF back as people and machines see it (pdftotext, pdftoppm)."""

from __future__ import annotations

import subprocess
import tempfile
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"


def pdf_text(pdf: bytes) -> str:
    """The PDF's text in logical order, presentation forms normalised (NFKC)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    text = unicodedata.normalize("NFKC", out.decode("utf-8"))
    # poppler marks right-to-left runs with embedding controls; drop them to compare with logical strings
    return "".join(ch for ch in text if ch not in "\u202a\u202b\u202c\u202d\u202e\u200e\u200f")


def render_png(pdf: bytes, name: str, page: int = 1) -> Path:
    """Render one page at 100 dpi into ``test-artifacts/<name>.png`` (kept for people to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", str(page), "-l", str(page), "-singlefile",
                        str(path), str(ARTIFACTS / name)], check=True)
    return ARTIFACTS / f"{name}.png"
