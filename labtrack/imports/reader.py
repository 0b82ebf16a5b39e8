"""Read any supported profile file: detect the format, read it, detect or check the kit."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from labtrack.core.kits import GENERIC_KIT, detect_kit, get_kit
from labtrack.core.messages import msg
from labtrack.imports.cmf import read_cmf
from labtrack.imports.genemapper import read_genemapper
from labtrack.imports.profiles import ParsedFile, UnreadableFile

FORMATS = ("auto", "long", "genemapper", "cmf")
LONG_HEADER = ["sample_id", "marker", "allele1", "allele2"]
MAX_FILE_BYTES = 512 * 1024 * 1024  # ~2 million profiles in the long CSV


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small objects are made (a large
    file's allele calls): collections triggered by allocation alone would otherwise walk them
    again and again. Nothing made here forms reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def detect_format(raw: bytes) -> str:
    head = raw[:2048].lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<"):
        return "cmf"
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
    fields = [f.strip() for f in first.replace("\t", ",").split(",") if f.strip()]
    return "long" if fields == LONG_HEADER else "genemapper"


def read_profiles(raw: bytes, *, filename: str, file_format: str = "auto",
                  kit: str | None = None) -> ParsedFile:
    """Read ``raw`` (the file's bytes). Raises ``UnreadableFile`` when it cannot be read at all;
    otherwise every problem is listed in the result's ``problems``."""
    if file_format not in FORMATS:
        raise UnreadableFile(msg("unknown format %(format)s (use one of %(formats)s)", format=repr(file_format),
                                 formats=", ".join(FORMATS)))
    if len(raw) > MAX_FILE_BYTES:
        raise UnreadableFile(msg("the file is %(size)s bytes; at most %(limit)s are read at once (split it)",
                                 size=format(len(raw), ","), limit=format(MAX_FILE_BYTES, ",")))
    sha256 = hashlib.sha256(raw).hexdigest()
    chosen = detect_format(raw) if file_format == "auto" else file_format
    with gc_paused():
        if chosen == "cmf":
            parsed = read_cmf(raw, filename=filename, sha256=sha256)
        else:
            parsed = read_genemapper(raw, filename=filename, sha256=sha256, file_format=chosen)
        _check_kit(parsed, kit)
    return parsed


def _check_kit(parsed: ParsedFile, kit_name: str | None) -> None:
    loci = {locus for profile in parsed.profiles for locus in profile.loci}
    if kit_name:
        kit = get_kit(kit_name)
        if kit is None:
            parsed.problem(msg("unknown kit %(kit)s", kit=repr(kit_name)), field="kit")
            parsed.kit = kit_name
            return
    else:
        kit = detect_kit(loci)
        if kit is None:
            kit = get_kit(GENERIC_KIT)
            assert kit is not None
    parsed.kit = kit.name
    outside = loci - set(kit.loci)
    if not outside:
        return
    for profile in parsed.profiles:
        for locus in sorted(outside & profile.loci.keys()):
            parsed.problem(msg("locus %(locus)s is not a locus of kit %(kit)s", locus=locus, kit=kit.name),
                           row=profile.loci[locus].row, field="marker")
