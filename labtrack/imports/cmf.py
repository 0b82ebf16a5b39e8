"""CODIS CMF XML (CMF 3.2 ``CODISImportFile`` and Rapid DNA ``CODISRapidImportFile``).

Parsed with defusedxml (no entity expansion, no external entities). Namespaces are ignored, so
both FBI schemas read the same way. Rows are specimen numbers (1 = first ``SPECIMEN``); fields
name the specimen and locus. ``export_cmf`` writes reference profiles as CMF 3.2.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from labtrack.core.messages import msg
from labtrack.imports.markers import canonical_marker
from labtrack.imports.profiles import ParsedFile, ProfileBuilder, UnreadableFile, clean_token

ROOTS = ("CODISImportFile", "CODISRapidImportFile")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _children(element: Element, name: str) -> list[Element]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def read_cmf(raw: bytes, *, filename: str, sha256: str) -> ParsedFile:
    """Read a CMF file into profiles and problems."""
    try:
        root = SafeET.fromstring(raw)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as error:
        raise UnreadableFile(msg("not well-formed XML: %(problem)s", problem=str(error))) from error
    if _local(root.tag) not in ROOTS:
        raise UnreadableFile(msg("not a CODIS CMF file: the root element is <%(root)s>, expected <CODISImportFile> "
                                 "or <CODISRapidImportFile>", root=_local(root.tag)))
    parsed = ParsedFile(filename=filename, file_format="cmf", sha256=sha256)
    specimens = _children(root, "SPECIMEN")
    if not specimens:
        parsed.problem(msg("the file has no SPECIMEN element (no profiles)"), field="SPECIMEN")
    builder = ProfileBuilder(parsed)
    for number, specimen in enumerate(specimens, start=1):
        sample_id = _text(_child(specimen, "SPECIMENID"))
        if not sample_id:
            parsed.problem(msg("SPECIMENID is missing or empty"), row=number, field="SPECIMENID")
            continue
        for locus_number, locus in enumerate(_children(specimen, "LOCUS"), start=1):
            name = _text(_child(locus, "LOCUSNAME"))
            where = f"{sample_id} LOCUS {locus_number}" + (f" ({name})" if name else "")
            if not name:
                parsed.problem(msg("LOCUSNAME is missing or empty"), row=number, field=where)
                continue
            tokens = []
            for allele_number, allele in enumerate(_children(locus, "ALLELE"), start=1):
                value = clean_token(_text(_child(allele, "ALLELEVALUE")))
                if not value:
                    parsed.problem(msg("ALLELE %(number)s has no ALLELEVALUE", number=allele_number), row=number,
                                   field=where)
                tokens.append(value)
            builder.add(sample_id, name, tokens, row=number, field_name=where,
                        canonical=canonical_marker(name))
    builder.finish()
    return parsed


_CMF_NAMES = {"AMEL": "AMEL", "Penta_E": "Penta E", "Penta_D": "Penta D", "Penta_C": "Penta C"}


def export_cmf(profiles: Iterable[tuple[str, dict[str, tuple[str, ...]]]], *, kit: str = "",
               source_lab: str = "LABTRACK", category: str = "Reference") -> bytes:
    """CMF 3.2 XML for ``(specimen_id, {locus: alleles})`` pairs (reference profiles)."""
    ns = "urn:CODISImportFile-schema"
    root = Element("CODISImportFile", {"xmlns": ns})
    for tag, value in (("HEADERVERSION", "3.2"), ("MESSAGETYPE", "Import"),
                       ("DESTINATIONORI", source_lab), ("SOURCELAB", source_lab),
                       ("SUBMITBYUSERID", "labtrack"),
                       ("SUBMITDATETIME", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"))):
        SubElement(root, tag).text = value
    if kit:
        SubElement(root, "KIT").text = kit
    for specimen_id, loci in profiles:
        specimen = SubElement(root, "SPECIMEN", {"SOURCEID": "No"})
        SubElement(specimen, "SPECIMENID").text = specimen_id
        SubElement(specimen, "SPECIMENCATEGORY").text = category
        for locus, alleles in loci.items():
            node = SubElement(specimen, "LOCUS")
            SubElement(node, "LOCUSNAME").text = "Amelogenin" if locus == "AMEL" else _CMF_NAMES.get(locus, locus)
            SubElement(node, "READINGBY").text = "labtrack"
            SubElement(node, "READINGDATETIME").text = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            for allele in alleles:
                SubElement(SubElement(node, "ALLELE"), "ALLELEVALUE").text = allele
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")
