"""Uploaded files as text: UTF-8, with or without a byte-order mark (as spreadsheets save it)."""

from __future__ import annotations

from labtrack.core.errors import InputProblem


def decode_utf8(raw: bytes, *, filename: str) -> tuple[str | None, InputProblem | None]:
    """The file's text, or None and the problem to report when it is not UTF-8."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, InputProblem(message="the file is not UTF-8 text", file=filename)
