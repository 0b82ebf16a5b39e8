"""The lifecycle of candidates: one open candidate per (remains sample, family) pair.

``store(...)`` takes what a run found and, inside the run's final write:

* a pair with no candidate gets a new one (and its first ``MatchEvidence`` row);
* an open candidate (not yet decided) whose numbers changed is updated in place — ``run_id``
  becomes the new run, the new numbers are a new ``MatchEvidence`` row, the earlier rows stay;
  unchanged numbers write nothing (so a pending proposal stays valid);
* a decided candidate is never changed: a confirmed one keeps its numbers (a changed computation
  is recorded as evidence ``after_review``); a rejected one whose evidence changed is closed and
  a new candidate opened for review (``previous_id`` points back);
* an open candidate in the run's scope that the run no longer reports is closed, with the reason
  (profile superseded or no longer searchable, a donor's consent withdrawn, or below the
  reporting threshold / outside the top k). Confirmed candidates are never closed here.

A full run's scope is every pair; a run of one remains (or one family) covers that remains' (that
family's) pairs only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from labtrack.core import review_rules
from labtrack.core.messages import msg, to_json
from labtrack.kinship.candidates import Candidate
from labtrack.models import (
    Family,
    Match,
    MatchEvidence,
    MatchRun,
    PedigreeMember,
    Profile,
    Sample,
    utcnow,
)
from labtrack.services import consent, snapshots
from labtrack.services.audit import canonical_json

_CHUNK = 500


@dataclass(frozen=True)
class Scope:
    """Which pairs a run looked at: all (``full``), or those of some remains samples and/or families."""

    full: bool = True
    sample_ids: frozenset[int] = frozenset()
    family_ids: frozenset[int] = frozenset()

    def covers(self, sample_id: int | None, family_id: int) -> bool:
        return self.full or sample_id in self.sample_ids or family_id in self.family_ids


@dataclass
class Outcome:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    after_review: int = 0
    reopened: int = 0
    closed: int = 0
    skipped: list[str] = field(default_factory=list)

    @property
    def reported(self) -> int:
        return self.new + self.updated + self.unchanged + self.after_review + self.reopened


def _current_profiles(session: Session, accessions: Iterable[str]) -> dict[str, tuple[int, int]]:
    """accession → (current profile id, sample id)."""
    found: dict[str, tuple[int, int]] = {}
    wanted = sorted(set(accessions))
    for start in range(0, len(wanted), _CHUNK):
        rows = session.exec(
            select(Sample.accession, Profile.id, Sample.id, Profile.version)
            .join(Profile, Profile.sample_id == Sample.id)  # type: ignore[arg-type]
            .where(Sample.accession.in_(wanted[start:start + _CHUNK]),  # type: ignore[attr-defined]
                   Profile.superseded == False)  # noqa: E712
        ).all()
        best: dict[str, int] = {}
        for accession, profile_id, sample_id, version in rows:
            if version >= best.get(accession, 0):
                best[accession] = version
                found[accession] = (int(profile_id), int(sample_id))
    return found


def _open_in_scope(session: Session, scope: Scope) -> dict[tuple[int | None, int], Match]:
    statement = select(Match).where(Match.closed_at == None)  # type: ignore[arg-type]  # noqa: E711
    if not scope.full:
        conditions = []
        if scope.sample_ids:
            conditions.append(Match.sample_id.in_(sorted(scope.sample_ids)))  # type: ignore[union-attr]
        if scope.family_ids:
            conditions.append(Match.family_id.in_(sorted(scope.family_ids)))  # type: ignore[attr-defined]
        if not conditions:
            return {}
        from sqlalchemy import or_

        statement = statement.where(or_(*conditions))
    # populate_existing: the review status as stored now, not as an earlier read left it in the session
    return {(m.sample_id, m.family_id): m
            for m in session.exec(statement.execution_options(populate_existing=True)).all()}


def _statuses(session: Session, matches: Iterable[Match]) -> dict[int, str]:
    """Review status of each match (kept on the match: ``Match.review_status``)."""
    return {match.id or 0: match.review_status for match in matches}


def _same_numbers(match: Match, profile_id: int, candidate: Candidate, per_locus: str,
                  digests: tuple[str, str]) -> bool:
    return (digests[0] == digests[1] and match.profile_id == profile_id
            and abs(match.log10_lr - candidate.log10_lr) <= 1e-9
            and abs(match.prior - candidate.prior) <= 1e-15 and match.rank == candidate.rank
            and match.per_locus_json == per_locus and match.near_miss == candidate.near_miss)


def _evidence(match_id: int, run: MatchRun, profile_id: int, candidate: Candidate, per_locus: str,
              change: str, snapshot: tuple[str, str]) -> MatchEvidence:
    return MatchEvidence(match_id=match_id, run_id=run.id or 0, profile_id=profile_id, change=change,
                         log10_lr=candidate.log10_lr, posterior=candidate.posterior, prior=candidate.prior,
                         rank=candidate.rank, loci_used=candidate.loci_used, per_locus_json=per_locus,
                         params_json=run.params_json, inputs_sha256=snapshot[0], inputs_json=snapshot[1])


def _latest_digests(session: Session, match_ids: list[int]) -> dict[int, str]:
    found: dict[int, tuple[int, str]] = {}
    for start in range(0, len(match_ids), _CHUNK):
        for evidence_id, match_id, digest in session.exec(
                select(MatchEvidence.id, MatchEvidence.match_id, MatchEvidence.inputs_sha256)
                .where(MatchEvidence.match_id.in_(match_ids[start:start + _CHUNK]))):  # type: ignore[attr-defined]
            if evidence_id > found.get(match_id, (0, ""))[0]:
                found[match_id] = (evidence_id, digest)
    return {match_id: digest for match_id, (_, digest) in found.items()}


_FEW = 500
#: candidates per flush of a store: a full run at 100,000 × 100,000 stores some 236,000, each with
#: a snapshot of several KB and its audit entries; written a batch at a time (inside the one
#: transaction), the worker holds one batch of them, not all
_STORE_BATCH = 2000


def store(session: Session, run: MatchRun, found: list[Candidate], scope: Scope,
          searched: tuple[Any, dict[str, Any]] | None = None) -> Outcome:
    """Apply a run's candidates (inside the caller's write), each with the snapshot of its inputs.
    ``searched``: the run's (genotypes, pedigrees by family code); a candidate whose snapshot no
    longer describes them (an input changed while the run computed) is skipped and named."""
    outcome = Outcome()
    profiles = _current_profiles(session, (c.remains_sample_id for c in found))
    codes = sorted({c.family_id for c in found})
    statement = select(Family.code, Family.id)
    if len(codes) <= _FEW:  # a run of one remains reads its few families, not 100,000
        statement = statement.where(Family.code.in_(codes))  # type: ignore[attr-defined]
    families: dict[str, int] = {code: family_id for code, family_id in session.exec(statement).all()}
    existing = _open_in_scope(session, scope)
    statuses = _statuses(session, existing.values())
    stored_digests = _latest_digests(session, [m.id or 0 for m in existing.values()])
    parts = snapshots.Parts(session)
    remains_parts = parts.remains(sorted({ids[1] for ids in profiles.values()}))
    family_parts = parts.families(sorted({families[c.family_id] for c in found if c.family_id in families}))
    table_part = parts.table(run.frequency_table_id)
    now = utcnow()
    seen: set[tuple[int | None, int]] = set()
    new_matches: list[tuple[Match, int, Candidate, str, tuple[str, str]]] = []
    for position, candidate in enumerate(found):
        if position and position % _STORE_BATCH == 0:  # the previous batch is complete
            _write_batch(session, run, new_matches)
        ids, family_id = profiles.get(candidate.remains_sample_id), families.get(candidate.family_id)
        if ids is None or family_id is None:
            outcome.skipped.append(msg("%(remains)s / %(family)s: no longer in the database",
                                       remains=candidate.remains_sample_id, family=candidate.family_id))
            continue
        profile_id, sample_id = ids
        key = (sample_id, family_id)
        seen.add(key)
        per_locus = candidate.per_locus_json
        inputs = snapshots.build(remains_parts[sample_id], family_parts[family_id], table_part, run)
        if searched is not None and candidate.family_id in searched[1] and not snapshots.matches_search(
                inputs, searched[0], searched[1][candidate.family_id]):
            outcome.skipped.append(msg("%(remains)s / %(family)s: an input changed while the run computed; the "
                                       "change queued a new computation", remains=candidate.remains_sample_id,
                                       family=candidate.family_id))
            seen.add(key)  # not closed either: the next run decides
            continue
        digest = (snapshots.digest(inputs), canonical_json(inputs))
        match = existing.get(key)
        status = statuses.get(match.id or 0, review_rules.OPEN) if match is not None else None
        if match is not None and _same_numbers(match, profile_id, candidate, per_locus,
                                               (stored_digests.get(match.id or 0, ""), digest[0])):
            outcome.unchanged += 1
            continue
        if match is not None and status == review_rules.CONFIRMED:
            session.add(_evidence(match.id or 0, run, profile_id, candidate, per_locus, "after_review", digest))
            outcome.after_review += 1
            continue
        if match is not None and status in review_rules.UNRESOLVED:
            match.run_id, match.profile_id, match.log10_lr = run.id or 0, profile_id, candidate.log10_lr
            match.posterior, match.prior, match.rank = candidate.posterior, candidate.prior, candidate.rank
            match.loci_used, match.per_locus_json, match.computed_at = candidate.loci_used, per_locus, now
            match.near_miss, match.excluded_loci = candidate.near_miss, ",".join(candidate.excluded_loci)
            session.add(match)
            session.add(_evidence(match.id or 0, run, profile_id, candidate, per_locus, "updated", digest))
            outcome.updated += 1
            continue
        previous_id = None
        if match is not None:  # rejected before, and the evidence has changed: a new review
            _close(match, run, now, msg("new evidence in match run %(run)s: a new candidate was opened for review",
                                        run=run.id))
            session.add(match)
            session.flush()
            previous_id = match.id
            outcome.reopened += 1
        else:
            outcome.new += 1
        created = Match(run_id=run.id or 0, profile_id=profile_id, family_id=family_id, sample_id=sample_id,
                        log10_lr=candidate.log10_lr, posterior=candidate.posterior, prior=candidate.prior,
                        rank=candidate.rank, loci_used=candidate.loci_used, per_locus_json=per_locus,
                        computed_at=now, previous_id=previous_id, near_miss=candidate.near_miss,
                        excluded_loci=",".join(candidate.excluded_loci))
        session.add(created)
        new_matches.append((created, profile_id, candidate, per_locus, digest))
    _write_batch(session, run, new_matches)
    gone = [m for key, m in existing.items() if key not in seen and scope.covers(m.sample_id, m.family_id)
            and statuses.get(m.id or 0) in review_rules.UNRESOLVED]
    if gone:
        reasons = _why_gone(session, gone, run)
        for match in gone:
            _close(match, run, now, reasons[match.id or 0])
            session.add(match)
            outcome.closed += 1
    return outcome


def _write_batch(session: Session, run: MatchRun,
                 new_matches: list[tuple[Match, int, Candidate, str, tuple[str, str]]]) -> None:
    """Flush what a batch of the store added: the new candidates (for their ids), then their
    evidence; ``new_matches`` is emptied. Flushed rows are held by the session only weakly, so
    what a batch wrote is released (the transaction still commits or rolls back as one)."""
    if new_matches:
        session.flush()
        session.add_all([_evidence(created.id or 0, run, profile_id, candidate, per_locus, "new", digest)
                         for created, profile_id, candidate, per_locus, digest in new_matches])
        new_matches.clear()
    session.flush()


def _close(match: Match, run: MatchRun, now: object, reason: str) -> None:
    match.closed_at, match.closed_reason, match.closed_by_run_id = now, reason[:2000], run.id  # type: ignore[assignment]
    match.closed_reason_json = to_json(reason)  # the reason as a message: said in the reader's language


def _why_gone(session: Session, gone: list[Match], run: MatchRun) -> dict[int, str]:
    """A reason a person can read for each candidate the run no longer reports."""
    profiles = {p.id: p for p in snapshots.rows_by_ids(session, (m.profile_id for m in gone), lambda chunk: select(
        Profile).where(Profile.id.in_(chunk)))}  # type: ignore[union-attr]
    consenting = consent.consenting_donor_ids(session)
    withdrawn: set[int] = set()
    for family_id, donor_id in snapshots.rows_by_ids(session, (m.family_id for m in gone), lambda chunk: select(
            PedigreeMember.family_id, PedigreeMember.donor_id).where(
            PedigreeMember.family_id.in_(chunk), PedigreeMember.donor_id != None)):  # type: ignore[attr-defined]  # noqa: E711
        if donor_id not in consenting:
            withdrawn.add(family_id)
    params = json.loads(run.params_json or "{}")
    reasons = {}
    for match in gone:
        profile = profiles.get(match.profile_id)
        if profile is not None and profile.superseded:
            why = msg("the remains profile (version %(version)s) was superseded by a new typing",
                      version=profile.version)
        elif profile is not None and (not profile.searchable or profile.is_mixture):
            why = msg("the remains profile (version %(version)s) is no longer searchable", version=profile.version)
        elif match.family_id in withdrawn:
            why = msg("a donor of the family has no active consent (withdrawn): the family's evidence changed")
        else:
            why = msg("no longer reported: below the reporting threshold (log10 LR %(threshold)s) or outside the "
                      "top %(top)s", threshold=params.get("report_log10_lr", "?"), top=params.get("top_k", "?"))
        reasons[match.id or 0] = msg("match run %(run)s: %(why)s", run=run.id, why=why)
    return reasons
