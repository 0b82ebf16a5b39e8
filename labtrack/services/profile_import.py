"""Import STR profiles from a file: all or nothing, with a report of every rejected row.

``import_profiles`` reads the file (``labtrack.imports.reader``), then checks against the
database: the file was not imported before (its SHA-256), every sample barcode is a valid
accession of an existing sample (or, for ``origin="staff"``, an existing staff code), no profile
duplicates the sample's current one. Any problem → ``ValidationFailed`` listing them all, nothing
stored.

Storage uses bulk SQLAlchemy core inserts (``executemany``) inside one ``transaction.write``, for
speed. The audit hook sees only ORM flushes, so the ``ProfileImport`` row and the versions it
supersedes go through the ORM (audited row by row), and the bulk-inserted profiles and alleles are
covered by one audit summary entry (``record_event`` action ``bulk_import``) holding the file hash,
the number of profiles and alleles, and the id range of the inserted profiles.

Quality control at import: a profile enters the search set (``searchable``) only when it is not a
possible mixture, has at least ``min_loci`` typed autosomal loci, and — for remains — does not
match a staff elimination profile (then ``qc_notes`` names the staff code).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from labtrack.core import genotype_digest, ids
from labtrack.core.errors import Conflict, ProblemList
from labtrack.core.messages import message_of, msg, to_data
from labtrack.imports.profiles import ParsedFile, ParsedProfile, UnreadableFile
from labtrack.imports.reader import gc_paused, read_profiles
from labtrack.models import (
    Profile,
    ProfileAllele,
    ProfileGenotype,
    ProfileImport,
    Sample,
    SampleStateChange,
    StaffMember,
    Upload,
    User,
    utcnow,
)
from labtrack.services import audit, audit_deep
from labtrack.services.quality import DEFAULT_MIN_SEARCH_LOCI, staff_genotypes, staff_match
from labtrack.services.transaction import write
from labtrack.services.uploads import stored_problems

if TYPE_CHECKING:
    from labtrack.services.worker import JobContext

_CHUNK = 5000
_PROFILE = Profile.__table__  # type: ignore[attr-defined]
_ALLELE = ProfileAllele.__table__  # type: ignore[attr-defined]
_GENOTYPE = ProfileGenotype.__table__  # type: ignore[attr-defined]
_STATE_CHANGE = SampleStateChange.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Owner:
    sample_id: int | None
    staff_member_id: int | None
    origin: str


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def check_file(raw: bytes, *, filename: str, file_format: str = "auto",
               kit: str | None = None) -> ParsedFile:
    """Read and validate a file without storing anything (sample IDs need not exist).
    Raises ``UnreadableFile`` when the file cannot be read at all."""
    return read_profiles(raw, filename=filename, file_format=file_format, kit=kit)


def _owners(session: Session, parsed: ParsedFile, origin: str | None,
            problems: ProblemList) -> dict[str, _Owner]:
    names = sorted({p.sample_id for p in parsed.profiles})
    owners: dict[str, _Owner] = {}
    if origin == "staff":
        for chunk in _chunks(names):
            for member_id, code in session.exec(
                    select(StaffMember.id, StaffMember.code).where(StaffMember.code.in_(chunk))):  # type: ignore[attr-defined]
                owners[code] = _Owner(None, member_id, "staff")
        for profile in parsed.profiles:
            if profile.sample_id not in owners:
                problems.add(msg("unknown staff member %(member)s", member=repr(profile.sample_id)), row=profile.row,
                             field="sample", file=parsed.filename)
        return owners
    found: dict[str, _Owner] = {}

    def look_up(accessions: list[str]) -> None:
        for chunk in _chunks(sorted(set(accessions))):
            for sample_id, accession, remains_id, donor_id in session.exec(
                    select(Sample.id, Sample.accession, Sample.remains_id, Sample.donor_id)
                    .where(Sample.accession.in_(chunk))):  # type: ignore[attr-defined]
                kind = "remains" if remains_id else "reference" if donor_id else "personal_effect"
                found[accession] = _Owner(sample_id, None, kind)

    look_up(names)  # barcodes as scanned: the common case, no need to re-check them
    first_row: dict[str, int | None] = {}
    for profile in parsed.profiles:  # one pass: the rows named in problems (linear in the file)
        first_row.setdefault(profile.sample_id, profile.row)
    accessions: dict[str, str] = {name: name for name in names if name in found}
    for name in names:
        if name in accessions:
            continue
        try:
            accessions[name] = ids.validate(name)
        except ids.InvalidAccession as error:
            problems.add(msg("%(name)s is not a sample barcode: %(problem)s", name=repr(name),
                             problem=message_of(error)),
                         row=first_row[name], field="sample", file=parsed.filename)
    look_up([a for n, a in accessions.items() if n != a])
    for name, accession in accessions.items():
        if accession in found:
            owners[name] = found[accession]
        else:
            problems.add(msg("unknown sample barcode %(accession)s: no such sample is registered", accession=accession),
                         row=first_row[name], field="sample", file=parsed.filename)
    return owners


Current = dict[int, tuple[int, int, dict[str, tuple[str, str]]]]


def _current_versions(session: Session, owners: Iterable[_Owner]) -> Current:
    """sample id → (profile id, version, genotypes) of its current profile."""
    sample_ids = sorted({o.sample_id for o in owners if o.sample_id is not None})
    result: dict[int, tuple[int, int, dict[str, tuple[str, str]]]] = {}
    for chunk in _chunks(sample_ids):
        rows = session.exec(
            select(Profile.sample_id, Profile.id, Profile.version, ProfileAllele.locus,
                   ProfileAllele.allele1, ProfileAllele.allele2)
            .join(ProfileAllele, ProfileAllele.profile_id == Profile.id, isouter=True)  # type: ignore[arg-type]
            .where(Profile.sample_id.in_(chunk), Profile.superseded == False)  # type: ignore[union-attr]  # noqa: E712
        ).all()
        for sample_id, profile_id, version, locus, a1, a2 in rows:
            entry = result.setdefault(sample_id, (profile_id, version, {}))
            if locus:
                entry[2][locus] = (a1, a2)
    return result


def _genotypes(profile: ParsedProfile) -> dict[str, tuple[str, str]]:
    return {locus: call.stored()[:2] for locus, call in profile.loci.items()}


#: How a single peak (one allele written once) is read: "one-seen" (a possible drop-out) or
#: "homozygote". Default per sample kind: remains one seen, references (fresh swabs) homozygote.
SINGLE_ALLELE = ("one-seen", "homozygote")


def single_allele_reading(origin: str, chosen: str | None) -> str:
    """The reading of single peaks for a profile of `origin` (the choice, else the kind's default)."""
    if chosen is not None:
        return chosen
    return "one-seen" if origin == "remains" else "homozygote"


def import_profiles(*, session: Session, raw: bytes, filename: str, by: User | str,
                    file_format: str = "auto", kit: str | None = None, origin: str | None = None,
                    min_loci: int = DEFAULT_MIN_SEARCH_LOCI, single_allele: str | None = None) -> ProfileImport:
    """Store every profile of the file, or nothing (``ValidationFailed`` lists every problem)."""
    try:
        parsed = read_profiles(raw, filename=filename, file_format=file_format, kit=kit)
    except UnreadableFile as error:
        problems = ProblemList()
        problems.add(message_of(error), file=filename)
        problems.raise_if_any(msg("The file cannot be read"))
        raise  # pragma: no cover
    return store_parsed(session=session, parsed=parsed, by=by, origin=origin, min_loci=min_loci,
                        single_allele=single_allele)


def store_parsed(*, session: Session, parsed: ParsedFile, by: User | str, origin: str | None = None,
                 min_loci: int = DEFAULT_MIN_SEARCH_LOCI, single_allele: str | None = None,
                 then: Callable[[Session, ProfileImport], None] | None = None) -> ProfileImport:
    """Store an already read file (see ``import_profiles``). ``single_allele``: how single
    peaks are read (`SINGLE_ALLELE`; default per sample kind, see `single_allele_reading`).
    ``then(session, record)`` runs last inside the write that stores the profiles (a worker job
    ends there: the import and the job's end are one transaction)."""
    if single_allele is not None and single_allele not in SINGLE_ALLELE:
        wrong = ProblemList()
        wrong.add(msg("single-allele reading %(reading)s is not one of %(readings)s", reading=repr(single_allele),
                      readings=", ".join(SINGLE_ALLELE)), field="single_allele")
        wrong.raise_if_any(msg("Nothing was imported"))
    previous = session.exec(select(ProfileImport).where(ProfileImport.file_sha256 == parsed.sha256)).first()
    if previous is not None:
        raise Conflict(msg("This file was imported already (import #%(id)s, %(file)s, %(at)s UTC, SHA-256 %(sha)s…): "
                           "nothing was stored.", id=previous.id, file=previous.filename,
                           at=previous.at.strftime("%Y-%m-%d %H:%M"), sha=parsed.sha256[:12]))
    problems = ProblemList(list(parsed.problems))
    if not parsed.profiles:
        problems.add(msg("the file holds no profile"), file=parsed.filename)
    owners = _owners(session, parsed, origin, problems)
    current = _current_versions(session, owners.values())
    seen: dict[str, int] = {}
    for profile in parsed.profiles:
        owner = owners.get(profile.sample_id)
        if owner is None or owner.sample_id is None:
            continue
        existing = current.get(owner.sample_id)
        if existing and _same(existing[2], _genotypes(profile)):
            problems.add(msg("duplicate profile: sample %(sample)s already has this profile (version %(version)s)",
                             sample=profile.sample_id, version=existing[1]), row=profile.row, field="sample",
                         file=parsed.filename)
        seen[profile.sample_id] = seen.get(profile.sample_id, 0) + 1
    problems.raise_if_any(msg("%(file)s: nothing was imported", file=parsed.filename))
    staff = staff_genotypes(session) if origin != "staff" else {}
    with gc_paused(), write(session, actor=by, reason=f"profiles imported from {parsed.filename}"):
        record = ProfileImport(filename=parsed.filename[:255], file_sha256=parsed.sha256,
                               file_format=parsed.file_format, kit=parsed.kit,
                               n_profiles=len(parsed.profiles),
                               imported_by_id=by.id if isinstance(by, User) and by.id else _system_user(session))
        session.add(record)
        session.flush()
        if session.connection().dialect.name == "sqlite":
            # a large transaction: keep its pages in memory instead of spilling (256 MB at most)
            session.connection().exec_driver_sql("PRAGMA cache_size=-262144")
        versions = _supersede(session, current, owners)
        readings = {profile.sample_id: single_allele_reading(owners[profile.sample_id].origin, single_allele)
                    for profile in parsed.profiles}
        rows = _profile_rows(parsed, owners, versions, record.id or 0, staff, min_loci, readings)
        inserted = _insert_profiles(session, rows, record.id or 0)
        alleles = [
            (profile_id, locus, *call.stored(one_seen=readings[profile.sample_id] == "one-seen"))
            for profile_id, profile in zip(inserted, parsed.profiles, strict=True)
            for locus, call in profile.loci.items()
        ]
        _executemany(session, _ALLELE, ["profile_id", "locus", "allele1", "allele2", "extra_alleles"], alleles)
        _executemany(session, _GENOTYPE, ["profile_id", "digest"], _genotype_digests(alleles))
        profiled = _mark_profiled(session, owners, record, by)
        audit.record_event(session, action="bulk_import", entity_type="profile_import",
                           entity_id=str(record.id), details={
                               "file": parsed.filename, "file_sha256": parsed.sha256,
                               "format": parsed.file_format, "kit": parsed.kit,
                               "profiles": len(inserted), "alleles": len(alleles),
                               "single_allele": single_allele or "per sample kind (remains: one-seen, "
                                                                 "references: homozygote)",
                               "one_allele_seen": sum(1 for row in alleles if row[3] == ""),
                               "samples_moved_to_profiled": profiled,
                               "profile_ids": [min(inserted), max(inserted)] if inserted else [],
                               **_row_digests(session, record.id or 0, profiled)})
        if then is not None:
            then(session, record)
    return record


def import_upload(*, session: Session, raw: bytes, upload: Upload, by: User, context: JobContext,
                  finish: Callable[[Session, dict[str, Any]], None]) -> None:
    """A worker job's import of an uploaded profile file (``services.uploads``): the options of
    the upload form, progress stored; ``finish`` ends the job in the import's transaction. A file
    with problems raises ``ValidationFailed`` (every problem), nothing stored."""
    options = json.loads(upload.options_json or "{}")
    context.progress(session, 0.05, msg("reading the file"))
    try:
        parsed = read_profiles(raw, filename=upload.filename, file_format=options.get("file_format") or "auto",
                               kit=options.get("kit") or None)
    except UnreadableFile as error:
        problems = ProblemList()
        problems.add(message_of(error), file=upload.filename)
        problems.raise_if_any(msg("The file cannot be read"))
        raise  # pragma: no cover
    if options.get("check_only"):
        with write(session, actor=by, reason=f"profile file {upload.filename} checked"):
            finish(session, {"outcome": "checked", "n_profiles": len(parsed.profiles), "kit": parsed.kit,
                             "file_format": parsed.file_format, **stored_problems(parsed.problems),
                             # the profiles read, as the check's table shows them (the first 5,000)
                             "profiles": [{"sample_id": p.sample_id, "loci": p.n_autosomal_loci,
                                           "mixture": p.is_mixture} for p in parsed.profiles[:5000]]})
        return
    context.progress(session, 0.4, msg("checking the profiles"))
    min_loci = int(context.app.config.get("MIN_SEARCH_LOCI", DEFAULT_MIN_SEARCH_LOCI))

    def then(inner: Session, record: ProfileImport) -> None:
        finish(inner, {"outcome": "imported", "import_id": record.id, "n_profiles": record.n_profiles,
                       "kit": record.kit, "file_format": record.file_format})

    store_parsed(session=session, parsed=parsed, by=by, origin=options.get("origin") or None, min_loci=min_loci,
                 single_allele=options.get("single_allele") or None, then=then)


#: Sample states a profile import does not change (already profiled, or ended).
_KEEP_STATE = ("profiled", "failed", "consumed")


def _mark_profiled(session: Session, owners: dict[str, _Owner], record: ProfileImport, by: User | str) -> list[int]:
    """The samples that got a profile move to "profiled", each with a state-change record naming
    the import (a typing done outside labtrack skips the steps before it: the record says so).
    Returns the sample ids moved (also in the import's audit entry)."""
    sample_ids = sorted({o.sample_id for o in owners.values() if o.sample_id is not None})
    moved: list[tuple[int, str]] = []
    for chunk in _chunks(sample_ids):
        moved += [(int(i), str(s)) for i, s in session.exec(
            select(Sample.id, Sample.state).where(Sample.id.in_(chunk),  # type: ignore[union-attr]
                                                  Sample.state.not_in(_KEEP_STATE)))]  # type: ignore[attr-defined]
    if not moved:
        return []
    by_id = by.id if isinstance(by, User) and by.id else _system_user(session)
    stamp = _STATE_CHANGE.c.at.type.bind_processor(session.connection().dialect)
    at = utcnow()
    rows = [(sample_id, state, "profiled",
             f"profile imported (import #{record.id}, {record.filename})"
             + ("" if state == "amplified" else f"; the steps after {state!r} were not recorded in labtrack"),
             by_id, stamp(at) if stamp else at) for sample_id, state in moved]
    _executemany(session, _STATE_CHANGE, ["sample_id", "from_state", "to_state", "reason", "by_user_id", "at"],
                 rows)
    for chunk in _chunks([sample_id for sample_id, _ in moved]):
        session.execute(update(Sample).where(Sample.id.in_(chunk)).values(state="profiled")  # type: ignore[union-attr]
                        .execution_options(synchronize_session=False))
    return [sample_id for sample_id, _ in moved]


def _row_digests(session: Session, import_id: int, profiled: list[int] | None = None) -> dict[str, Any]:
    """A digest per stored profile row and per profile's alleles, read back as stored, so that
    ``labtrack audit verify --deep`` can tell a genotype changed behind the application's back;
    likewise the samples moved to "profiled" and their state-change records."""
    profiles = audit_deep.rows_of(session, _PROFILE, _PROFILE.c.import_id == import_id)
    digests: dict[str, dict[str, str]] = {
        _PROFILE.name: {str(row["id"]): audit_deep.row_digest(_PROFILE, row) for row in profiles}}
    if profiled:
        sample_table = Sample.__table__  # type: ignore[attr-defined]
        for chunk in _chunks(profiled):
            for row in audit_deep.rows_of(session, sample_table, sample_table.c.id.in_(chunk)):
                digests.setdefault(sample_table.name, {})[str(row["id"])] = audit_deep.row_digest(sample_table, row)
            mine = _STATE_CHANGE.c.reason.startswith(f"profile imported (import #{import_id},")
            for row in audit_deep.rows_of(session, _STATE_CHANGE, _STATE_CHANGE.c.sample_id.in_(chunk) & mine):
                digests.setdefault(_STATE_CHANGE.name, {})[str(row["id"])] = audit_deep.row_digest(_STATE_CHANGE, row)
    alleles = audit_deep.plain_group_digests(
        session, _ALLELE, "profile_id", "profile_id IN (SELECT id FROM profile WHERE import_id = :import_id)",
        {"import_id": import_id})
    return {"row_digests": digests, "allele_digests": alleles}


def _genotype_digests(alleles: list[tuple[Any, ...]]) -> list[tuple[int, str]]:
    """(profile id, genotype digest) of each profile of the stored allele rows (profile id, locus,
    allele1, allele2, ...): the dashboard counts distinct genotypes on them."""
    calls: dict[int, list[tuple[str, str, str]]] = {}
    for profile_id, locus, allele1, allele2, *_ in alleles:
        calls.setdefault(profile_id, []).append((locus, allele1, allele2))
    return [(profile_id, genotype_digest.digest(found)) for profile_id, found in calls.items()]


def _executemany(session: Session, table: Any, columns: list[str], values: list[tuple[Any, ...]]) -> None:
    """INSERT many rows through the driver (no per-row SQLAlchemy work): COPY on PostgreSQL,
    executemany on SQLite."""
    connection = session.connection()
    if connection.dialect.name == "postgresql" and values:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(  # type: ignore[attr-defined]
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    # table and column names come from our own metadata, values are bound parameters
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 - see above  # nosec B608
           f"VALUES ({', '.join([marker] * len(columns))})")
    for chunk in _chunks(values):
        connection.exec_driver_sql(sql, chunk)


def _insert_profiles(session: Session, rows: list[dict[str, Any]], import_id: int) -> list[int]:
    """Insert the profile rows; their ids in insertion order."""
    if not rows:
        return []
    columns = list(rows[0])
    stamp = _PROFILE.c.created_at.type.bind_processor(session.connection().dialect)
    values = [tuple(stamp(row[c]) if c == "created_at" and stamp else row[c] for c in columns)
              for row in rows]
    _executemany(session, _PROFILE, columns, values)
    ids_in_order = session.execute(select(Profile.id).where(Profile.import_id == import_id)
                                   .order_by(Profile.id)).scalars().all()  # type: ignore[arg-type]
    return [int(i) for i in ids_in_order]


def _system_user(session: Session) -> int:
    user = session.exec(select(User).where(User.role == "admin").order_by(User.id)).first()  # type: ignore[arg-type]
    if user is None or user.id is None:
        raise Conflict(msg("an import needs a user account to attribute it to"))
    return user.id


def _same(a: dict[str, tuple[str, str]], b: dict[str, tuple[str, str]]) -> bool:
    return {k: tuple(sorted(v)) for k, v in a.items()} == {k: tuple(sorted(v)) for k, v in b.items()}


def _supersede(session: Session, current: dict[int, tuple[int, int, dict[str, tuple[str, str]]]],
               owners: dict[str, _Owner]) -> dict[int, int]:
    """Mark the current versions of re-typed samples superseded; sample id → next version."""
    sample_ids = {o.sample_id for o in owners.values() if o.sample_id is not None}
    versions: dict[int, int] = {}
    superseded = [entry[0] for sample_id, entry in current.items() if sample_id in sample_ids]
    for profile in session.exec(select(Profile).where(Profile.id.in_(superseded))) if superseded else []:  # type: ignore[union-attr]
        profile.superseded = True
        session.add(profile)
    if sample_ids:
        for chunk in _chunks(sorted(sample_ids)):
            for sample_id, top in session.exec(
                    select(Profile.sample_id, func.max(Profile.version))
                    .where(Profile.sample_id.in_(chunk)).group_by(Profile.sample_id)):  # type: ignore[union-attr]
                versions[sample_id] = int(top)
    session.flush()
    return versions


def _profile_rows(parsed: ParsedFile, owners: dict[str, _Owner], versions: dict[int, int],
                  import_id: int, staff: dict[str, dict[str, tuple[str, str]]],
                  min_loci: int, readings: dict[str, str] | None = None) -> list[dict[str, Any]]:
    rows = []
    now = utcnow()
    last_of: dict[str, int] = {}
    for index, profile in enumerate(parsed.profiles):
        last_of[profile.sample_id] = index
    for index, profile in enumerate(parsed.profiles):
        owner = owners[profile.sample_id]
        notes = profile.qc_remarks()
        n_loci = profile.n_autosomal_loci
        mixture = profile.is_mixture
        searchable = owner.origin in ("remains", "reference") and not mixture and n_loci >= min_loci
        if n_loci < min_loci:
            notes.append(msg("%(count)s typed autosomal loci, fewer than %(least)s: not searched", count=n_loci,
                             least=min_loci))
        if (readings or {}).get(profile.sample_id) == "one-seen":
            single = sorted(c.locus for c in profile.loci.values()
                            if len(c.alleles) == 1 and not c.off_ladder and not c.homozygote_call)
            if single:
                notes.append(msg("one allele seen (possible drop-out) at %(loci)s", loci=", ".join(single)))
        if owner.origin == "remains" and staff:
            hit = staff_match(_genotypes(profile), staff)
            if hit:
                searchable = False
                notes.append(msg("STAFF MATCH: matches staff member %(staff)s at %(loci)s loci (contamination?)",
                                 staff=hit[0], loci=hit[1]))
        version = 1
        if owner.sample_id is not None:
            version = versions.get(owner.sample_id, 0) + 1
            versions[owner.sample_id] = version
        rows.append({
            "sample_id": owner.sample_id, "staff_member_id": owner.staff_member_id,
            "origin": owner.origin, "version": version if owner.sample_id is not None else 1,
            "kit": parsed.kit, "is_mixture": mixture, "n_autosomal_loci": n_loci,
            "searchable": searchable, "qc_notes": "; ".join(notes), "import_id": import_id,
            "qc_notes_json": json.dumps([to_data(note) for note in notes], ensure_ascii=False) if notes else "",
            "source_row": profile.row,
            "superseded": index != last_of[profile.sample_id],
            "created_at": now,
        })
    return rows
