"""Label printing: render labels for custody items and record every print and reprint."""

from __future__ import annotations

from sqlmodel import Session, col, select

from labtrack.core import ids
from labtrack.core.errors import ProblemList, ValidationFailed
from labtrack.core.messages import message_of, msg, nmsg, term
from labtrack.documents import labels as label_documents
from labtrack.models import CustodyItem, LabelPrint, Remains, Sample, Site, StorageLocation, User
from labtrack.services import issued_documents
from labtrack.services.transaction import write


def label_data(session: Session, item: CustodyItem) -> label_documents.LabelData:
    """What a label shows besides the barcode: site (or location name) and item type."""
    if item.kind == "location":
        location = session.get(StorageLocation, item.location_id)
        return label_documents.LabelData(item.accession, msg("location: %(level)s",
                                                             level=term(location.level) if location else ""),
                                         location.name if location else "")
    if item.kind == "sample":
        sample = session.get(Sample, item.sample_id)
        assert sample is not None
        remains = session.get(Remains, sample.remains_id) if sample.remains_id else None
        site = session.get(Site, remains.site_id) if remains else None
        return label_documents.LabelData(item.accession, msg("sample: %(type)s", type=term(sample.sample_type)),
                                         *_site_fields(site, msg("reference sample")))
    remains = session.get(Remains, item.remains_id)
    assert remains is not None
    site = session.get(Site, remains.site_id)
    return label_documents.LabelData(item.accession, msg("remains: %(type)s", type=term(remains.remains_type)),
                                     *_site_fields(site, ""))


def _site_fields(site: Site | None, without: str) -> tuple[str, str, str]:
    """LabelData's site line, Arabic site name and site code (``without`` when there is no site)."""
    if site is None:
        return without, "", ""
    return f"{site.code} {site.name_en}", site.name_ar, site.code


def resolve_items(session: Session, accessions: list[str]) -> list[CustodyItem]:
    """Custody items for the given IDs, in order; every bad ID is reported at once."""
    problems = ProblemList()
    items: list[CustodyItem] = []
    seen: set[str] = set()
    for row, text in enumerate(accessions, start=1):
        try:
            accession = ids.validate(text)
        except ids.InvalidAccession as error:
            problems.add(message_of(error), field="items", row=row)
            continue
        if accession in seen:
            continue
        seen.add(accession)
        item = session.exec(select(CustodyItem).where(CustodyItem.accession == accession)).first()
        if item is None:
            problems.add(msg("%(accession)s is a valid ID but no such item is registered", accession=accession),
                         field="items", row=row)
            continue
        items.append(item)
    if not accessions:
        problems.add(msg("no item IDs given"), field="items")
    problems.raise_if_any(msg("No labels were printed"))
    return items


def print_labels(*, session: Session, accessions: list[str], layout: str, by: User,
                 reason: str = "", language: str = "en") -> tuple[bytes, list[LabelPrint]]:
    """Render labels (their words in ``language``, the printing person's) and record a
    ``LabelPrint`` for each item; a reprint needs a reason."""
    if layout not in label_documents.LAYOUTS:
        raise ValidationFailed(msg("layout must be one of %(layouts)s", layouts=", ".join(label_documents.LAYOUTS)))
    items = resolve_items(session, accessions)
    printed_before = set(session.exec(select(LabelPrint.item_id).where(
        col(LabelPrint.item_id).in_([item.id for item in items]))))
    reprints = [item.accession for item in items if item.id in printed_before]
    if reprints and not reason.strip():
        problems = ProblemList()
        problems.add(nmsg(
            "%(items)s: the label was printed before; a reprint needs a reason (e.g. label damaged)",
            "%(items)s: %(num)d labels were printed before; a reprint needs a reason (e.g. label damaged)",
            len(reprints), items=", ".join(reprints[:10]) + (" …" if len(reprints) > 10 else "")), field="reason")
        problems.raise_if_any(msg("No labels were printed"))
    data = [label_data(session, item) for item in items]
    content = label_documents.render(data, layout, language=language)
    with write(session, actor=by, reason=reason.strip() or f"{len(items)} label(s) printed"):
        number = issued_documents.reserve_number(session)
        document = issued_documents.record_issue(
            session, number=number, kind="labels", record_type="custody_item",
            record_id=items[0].id, pdf=content, by=by, language=language,
            params={"items": [item.accession for item in items], "layout": layout}
            | ({} if language == "en" else {"language": language}))
        prints = [LabelPrint(item_id=item.id or 0, layout=layout, reprint=item.id in printed_before,
                             reason=reason.strip(), printed_by_id=by.id or 0, document_id=document.id)
                  for item in items]
        session.add_all(prints)
    return content, prints


def prints_of(session: Session, item: CustodyItem) -> list[LabelPrint]:
    return list(session.exec(select(LabelPrint).where(LabelPrint.item_id == item.id).order_by(col(LabelPrint.id))))
