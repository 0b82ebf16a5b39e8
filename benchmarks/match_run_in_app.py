"""A full match run inside the app, from the database, against the same search from files; and the
time from importing one new remains profile to its candidates in the review queue.

Usage (from the repository root)::

    python -m benchmarks.match_run_in_app --families 10000 --remains 10000
    python -m benchmarks.match_run_in_app --families 10000 --remains 10000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/labtrack_bench14

Steps:

1. Simulate (``labtrack.kinship.simulate``: 12 pedigree shapes, 20 loci, NIST 1036) and write the
   exchange files; ``--new`` remains of families are held back for step 6.
2. **From files** (a child process): ``match_runs.run_on_files`` on those files — reading them,
   the family tables, the search and every candidate's exact evidence, as ``labtrack kinship
   search`` does — with the parameters a run in the app uses (the lab's defaults).
3. Fill an empty database (bulk inserts, not the app's path: timed apart): one site, a remains and
   a sample per remains, per family a missing person, its donors (one reference sample and a
   consent grant each) and the pedigree; the frequency table through the app.
4. **Import** through the app (``profile_import.import_profiles``, one long CSV of the reference
   profiles, one of the remains): continuous matching queues one full run.
5. **The full run** (a child process: ``Worker.run(once=True)``, as ``labtrack worker --once``):
   the input read from the database, the search, the evidence, the candidates stored in the
   review queue (one open candidate per pair).
   The search from files runs again after it, and the ratio takes the faster of the two (the
   load of a shared machine changes between them); CPU seconds are given too.
6. **One new remains**: a worker process runs in the background (polling every 0.1 s); each held-back
   remains profile is imported through the app and the time until its run has stored its
   candidates is taken (the first one is a warm-up and reported apart), with that worker's
   resident memory after each run and its peak (``/proc``).

Each child process reports its peak resident memory (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FREQS = ROOT / "fixtures" / "freqs" / "nist1036.csv"
_SEX = {1: "M", 2: "F", 0: "U"}


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _memory_mb(pid: int) -> dict[str, float]:
    """A running process's resident memory now and its peak so far (Linux ``/proc``), in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[{"VmRSS": "rss_mb", "VmHWM": "peak_rss_mb"}[name]] = round(int(value.split()[0]) / 1024, 1)
    return fields


class _MemoryTrace:
    """Samples a worker's resident memory (the process and its children: the local cluster) with
    the stage its job reports, into a CSV; ``peaks()``: the largest sample per stage."""

    def __init__(self, engine: Any, path: Path) -> None:
        self.engine, self.path, self.started = engine, path, time.perf_counter()
        self.rows: list[tuple[float, str, float, float, float]] = []

    def __call__(self, pid: int) -> None:
        from sqlalchemy import text

        try:
            own = _memory_mb(pid)["rss_mb"]
            children = sum(_memory_mb(int(c))["rss_mb"] for c in _children(pid))
        except (OSError, KeyError):  # the process ended between two reads
            return
        with self.engine.connect() as connection:
            row = connection.execute(text("SELECT stage, progress FROM job WHERE status = 'running' "
                                          "ORDER BY id LIMIT 1")).first()
        stage, progress = (row[0], row[1]) if row else ("(no job running)", 0.0)
        self.rows.append((round(time.perf_counter() - self.started, 1), stage, round(progress, 3), own, children))
        with self.path.open("w") as out:
            out.write("seconds,stage,progress,worker_rss_mb,children_rss_mb\n")
            out.writelines(f"{t},{json.dumps(st)},{p},{o},{c}\n" for t, st, p, o, c in self.rows)

    def peaks(self) -> dict[str, dict[str, float]]:
        found: dict[str, dict[str, float]] = {}
        for _, stage, _, own, children in self.rows:
            peak = found.setdefault(stage, {"worker_rss_mb": 0.0, "children_rss_mb": 0.0})
            peak["worker_rss_mb"] = max(peak["worker_rss_mb"], own)
            peak["children_rss_mb"] = max(peak["children_rss_mb"], children)
        return found


def _children(pid: int) -> list[str]:
    """Every descendant of ``pid`` (Linux ``/proc``)."""
    found, todo = [], [str(pid)]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").iterdir():
            kids = (task / "children").read_text().split()
            found += kids
            todo += kids
    return found


# --- child processes --------------------------------------------------------------------------

def stage_files(directory: Path, params_json: str, threads: int) -> dict[str, Any]:
    from labtrack.services.match_parameters import MatchParameters
    from labtrack.services.match_runs import run_on_files

    started = time.perf_counter()
    found, n_remains, n_families = run_on_files(directory, MatchParameters.from_json(params_json),
                                                n_threads=threads)
    return {"seconds": round(time.perf_counter() - started, 2), "candidates": len(found),
            "remains": n_remains, "families": n_families, "peak_rss_mb": _peak_mb()}


def stage_worker(loop: bool) -> dict[str, Any]:
    from labtrack import create_app
    from labtrack.services.worker import Worker, WorkerSettings

    app = create_app()
    started = time.perf_counter()
    if loop:
        print("ready", flush=True)
        Worker(app, WorkerSettings(poll_seconds=0.1), name=None).run(handle_signals=True)
    if not loop and os.environ.get("BENCH_PROFILE"):  # where the time goes: cProfile of the run
        import cProfile

        profiler = cProfile.Profile()
        ran = profiler.runcall(Worker(app, WorkerSettings(poll_seconds=0.1)).run, once=True)
        profiler.dump_stats(os.environ["BENCH_PROFILE"])
    else:
        ran = Worker(app, WorkerSettings(poll_seconds=0.1)).run(once=True) if not loop else 0
    return {"seconds": round(time.perf_counter() - started, 2), "jobs": ran, "peak_rss_mb": _peak_mb()}


def _child(args: list[str], env: dict[str, str], trace: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run a stage in a child process; its figures plus the CPU seconds of it and of every process
    it started (the evidence step's local cluster), which the load of a shared machine changes
    less than the wall time. ``trace(pid)`` is called about every second while the child runs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([sys.executable, "-m", "benchmarks.match_run_in_app", *args], cwd=ROOT, env=env,
                                 stdout=out, stderr=err, text=True)
        while child.poll() is None:
            if trace is not None:
                trace(child.pid)
            time.sleep(1)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, args, stdout, stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = json.loads(stdout.strip().splitlines()[-1])
    figures["cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
    figures["load_average_after"] = round(os.getloadavg()[0], 1)
    return figures


# --- the database -------------------------------------------------------------------------------

def _fill(engine: Any, data: Any) -> tuple[dict[str, str], pd.DataFrame]:
    """Bulk-insert the lab's records; returns simulated sample id -> accession and the pedigrees."""
    from sqlalchemy import insert, text

    from labtrack.core import ids
    from labtrack.models import (
        ConsentRecord,
        Donor,
        Family,
        MissingPerson,
        PedigreeMember,
        Remains,
        Sample,
        Site,
        utcnow,
    )

    now = utcnow()
    accession: dict[str, str] = {}
    pedigrees = data._pedigree_frame()
    with engine.begin() as connection:
        admin = connection.execute(text("SELECT id FROM user_account ORDER BY id LIMIT 1")).scalar_one()
        connection.execute(insert(Site.__table__), [{"id": 1, "code": "BNM", "name_en": "benchmark grave",  # type: ignore[attr-defined]
                                                     "next_remains_number": len(data.remains_ids) + 1,
                                                     "created_at": now}])
        remains_rows, sample_rows = [], []
        for number, rid in enumerate(data.remains_ids, start=1):
            acc = ids.remains_id("BNM", number)
            remains_rows.append({"id": number, "accession": acc, "site_id": 1, "number": number,
                                 "remains_type": "complete_body", "next_sample_number": 2, "created_at": now})
            accession[str(rid)] = ids.sample_id(acc, 1)
            sample_rows.append({"id": number, "accession": accession[str(rid)], "remains_id": number,
                                "donor_id": None, "number": 1, "sample_type": "femur", "state": "received",
                                "created_at": now})
        typed = pedigrees[pedigrees["sample_id"] != ""]
        donor_rows, consent_rows = [], []
        next_sample = len(sample_rows) + 1
        donor_of: dict[str, int] = {}
        for donor_id, (family, person, sample, sex) in enumerate(zip(
                typed["family_id"], typed["person_id"], typed["sample_id"], typed["sex"], strict=True), start=1):
            donor_of[sample] = donor_id
            accession[sample] = ids.reference_id(donor_id, "A")
            donor_rows.append({"id": donor_id, "code": f"D-{family}-{person}", "sex": _SEX[int(sex)],
                               "created_at": now})
            sample_rows.append({"id": next_sample, "accession": accession[sample], "donor_id": donor_id,
                                "remains_id": None, "number": 1, "sample_type": "buccal_swab", "state": "received",
                                "created_at": now})
            consent_rows.append({"id": donor_id, "donor_id": donor_id, "kind": "grant", "recorded_by_id": admin,
                                 "at": now})
            next_sample += 1
        families = list(dict.fromkeys(pedigrees["family_id"]))
        family_id = {code: i for i, code in enumerate(families, start=1)}
        member_rows, member_id = [], {}
        for i, (family, person, father, mother, sex, sample, missing) in enumerate(zip(
                *(pedigrees[c].tolist() for c in ("family_id", "person_id", "father_id", "mother_id", "sex",
                                                   "sample_id", "missing")), strict=True), start=1):
            member_id[(family, person)] = i
            member_rows.append({
                "id": i, "family_id": family_id[family], "person_code": person, "sex": _SEX[int(sex)],
                "father_id": member_id[(family, father)] if father else None,
                "mother_id": member_id[(family, mother)] if mother else None,
                "donor_id": donor_of.get(sample) if sample else None,
                "missing_person_id": family_id[family] if int(missing) else None,
                "relation_label": "missing person" if int(missing) else ""})
        for table, rows in ((Remains, remains_rows), (Donor, donor_rows), (Sample, sample_rows),
                            (ConsentRecord, consent_rows),
                            (MissingPerson, [{"id": i, "case_number": code, "created_at": now}
                                             for code, i in family_id.items()]),
                            (Family, [{"id": i, "code": code, "created_at": now} for code, i in family_id.items()]),
                            (PedigreeMember, member_rows)):
            _insert_rows(connection, table.__table__, rows)  # type: ignore[attr-defined]
        if engine.dialect.name == "postgresql":
            for table in ("site", "remains", "sample", "donor", "consent_record", "missing_person", "family",
                          "pedigree_member"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                                        f"(SELECT max(id) FROM {table}))"))
    return accession, pedigrees


def _insert_rows(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk rows. On PostgreSQL with RETURNING, so that SQLAlchemy sends them as multi-row INSERTs
    ("insertmanyvalues", 1,000 rows a statement) and the family-side statement triggers fire once
    per statement: a plain executemany is one statement per row there, and 285,000 updates of the
    one counter row in one transaction took over 13 minutes at 100,000 families. SQLite: plain
    executemany (its triggers are per row anyway)."""
    from sqlalchemy import insert

    statement = insert(table).returning(table.c.id) if connection.dialect.name == "postgresql" else insert(table)
    for start in range(0, len(rows), 20_000):
        connection.execute(statement, rows[start:start + 20_000])


def _job_seconds(session: Any, run_id: int | None) -> float | None:
    """Claim to end of the run's job (the worker's own time, without the wait in the queue)."""
    from labtrack.services import jobs

    job = jobs.job_for(session, "match_run", run_id or 0)
    if job is None or job.started_at is None or job.finished_at is None:
        return None
    return round((job.finished_at - job.started_at).total_seconds(), 2)


def _long_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode()


def main() -> None:  # noqa: PLR0915 - one benchmark, step by step
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--remains", type=int, default=10_000)
    parser.add_argument("--loci", type=int, default=20)
    parser.add_argument("--new", type=int, default=3, help="new remains imported one by one (after a warm-up)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", default="", help="an empty database (default: a SQLite file)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--only-new-remains", action="store_true",
                        help="skip the searches from files and the full run (the full run queued by the import is "
                             "cancelled): measure only one new remains to its candidates")
    parser.add_argument("--files-once", action="store_true",
                        help="run the search from files once, before the run in the app (not again after it)")
    parser.add_argument("--files-from", type=Path, default=None,
                        help="take the search from files of an earlier run's --json (same sizes, seed, threads and "
                             "parameters: the same simulated files) instead of running it again; with --files-once")
    parser.add_argument("--memory-trace", type=Path, default=None,
                        help="a CSV of the worker's resident memory (its own and its processes') and the job's stage, "
                             "about every second of the full run in the app")
    parser.add_argument("--stage", choices=["files", "worker", "worker-loop"], default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--params", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage == "files":
        print(json.dumps(stage_files(args.dir, args.params, args.threads)))
        return
    if args.stage in ("worker", "worker-loop"):
        print(json.dumps(stage_worker(args.stage == "worker-loop")))
        return

    from sqlalchemy import func
    from sqlmodel import Session, select

    from labtrack import create_app
    from labtrack.db import create_schema, get_engine
    from labtrack.imports.exchange import read_freqs
    from labtrack.kinship.simulate import simulate
    from labtrack.models import Job, Match, MatchRun
    from labtrack.services import accounts, demo, jobs, lab_settings, profile_import

    work = Path(tempfile.mkdtemp(prefix="bench-match-"))
    env = dict(os.environ, LABTRACK_INSTANCE_PATH=str(work / "instance"), LABTRACK_SECRET_KEY="bench",
               LABTRACK_AUDIT_KEY="bench-audit-key", LABTRACK_MATCH_THREADS=str(args.threads),
               LABTRACK_DATABASE_URL=args.database_url or f"sqlite:///{work}/bench.sqlite", PYTHONPATH=str(ROOT))
    os.environ.update({k: env[k] for k in ("LABTRACK_INSTANCE_PATH", "LABTRACK_SECRET_KEY", "LABTRACK_AUDIT_KEY",
                                           "LABTRACK_MATCH_THREADS", "LABTRACK_DATABASE_URL")})
    setup = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
             if k not in ("stage", "dir", "params", "json")}
    figures: dict[str, Any] = {"setup": setup,
                               "database": "postgresql" if args.database_url.startswith("postgres") else "sqlite",
                               "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    figures["setup"]["database_url"] = figures["database"]

    started = time.perf_counter()
    table = read_freqs(FREQS)
    n_held = args.new + 1 if args.new else 0  # a warm-up and the measured ones; none with --new 0
    data = simulate(args.families, args.remains + n_held, args.loci, args.seed, table)
    related = np.flatnonzero(data.remains_family >= 0)
    held = [str(data.remains_ids[i]) for i in related[len(related) - n_held:]]
    files = work / "files"
    data.write(files)
    (files / "remains.txt").write_text("".join(f"{r}\n" for r in data.remains_ids if str(r) not in held))
    figures["simulate_s"] = round(time.perf_counter() - started, 1)
    print("simulated and written:", figures["simulate_s"], "s", flush=True)

    app = create_app()
    engine = get_engine(app)
    create_schema(engine)
    with app.app_context(), Session(engine, expire_on_commit=False) as session:
        admin = accounts.create_user(session=session, username="bench", full_name="Benchmark", role="admin",
                                     password="benchmark-password", by="benchmark")
        demo.load_frequency_table(session, FREQS, name="NIST 1036", source="benchmark", make_default=True,
                                  actor=admin)
        params = lab_settings.run_parameters(session, app.config)
    figures["parameters"] = json.loads(params.to_json())

    if args.files_from and not args.only_new_remains:
        figures["from_files"] = _earlier_search_from_files(args.files_from, figures)
        print("from files (an earlier run's):", figures["from_files"], flush=True)
    elif not args.only_new_remains:
        figures["from_files"] = _child(["--stage", "files", "--dir", str(files), "--params", params.to_json(),
                                        "--threads", str(args.threads)], env)
        print("from files:", figures["from_files"], flush=True)

    started = time.perf_counter()
    accession, _ = _fill(engine, data)
    figures["fill_s"] = round(time.perf_counter() - started, 1)
    print("database filled:", figures["fill_s"], "s", flush=True)

    genotypes = pd.read_csv(files / "genotypes.csv", dtype=str, keep_default_na=False)
    genotypes["sample_id"] = genotypes["sample_id"].map(accession)
    is_remains = genotypes["sample_id"].str.startswith("BNM-")
    held_acc = {accession[h] for h in held}
    is_held = genotypes["sample_id"].isin(held_acc)
    with app.app_context(), Session(engine, expire_on_commit=False) as session:
        timings = {}
        for name, part in (("references", genotypes[~is_remains]), ("remains", genotypes[is_remains & ~is_held])):
            started = time.perf_counter()
            record = profile_import.import_profiles(session=session, raw=_long_csv(part), filename=f"{name}.csv",
                                                    by=admin)
            timings[name] = {"profiles": record.n_profiles, "seconds": round(time.perf_counter() - started, 1)}
            print("imported", name, timings[name], flush=True)
        figures["import"] = timings
        figures["queued_jobs"] = [f"{kind} {payload}" for kind, payload in session.exec(
            select(Job.kind, Job.payload_json).where(Job.status == "queued"))]

    if args.only_new_remains:  # the full run the import queued is not run
        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            for job_id in session.exec(select(Job.id).where(Job.status == "queued")).all():
                jobs.request_cancel(session, job_id or 0, by=admin)
            figures["cancelled_jobs"] = len(figures["queued_jobs"])
    else:
        tracer = _MemoryTrace(engine, args.memory_trace) if args.memory_trace else None
        figures["in_app_run"] = _child(["--stage", "worker"], env, trace=tracer)
        if tracer is not None:
            figures["in_app_run"]["memory_by_stage"] = tracer.peaks()
        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            run = session.exec(select(MatchRun).order_by(MatchRun.id.desc())).first()
            assert run is not None and run.status == "done", (run.status, run.error) if run else None
            figures["in_app_run"] |= {
                "run_status": run.status, "job_s": _job_seconds(session, run.id),
                "candidates_in_queue": session.exec(select(func.count()).select_from(Match)
                                                    .where(Match.closed_at.is_(None))).one(),
                "remains": run.n_remains, "families": run.n_families}
        searches = [figures["from_files"]]
        if not args.files_once and not args.files_from:
            figures["from_files_again"] = _child(["--stage", "files", "--dir", str(files), "--params",
                                                  params.to_json(), "--threads", str(args.threads)], env)
            searches.append(figures["from_files_again"])
        files_s = min(search["seconds"] for search in searches)
        files_cpu = min(search["cpu_s"] for search in searches)
        figures["in_app_vs_files"] = round(figures["in_app_run"]["seconds"] / files_s, 2)
        figures["in_app_vs_files_cpu"] = round(figures["in_app_run"]["cpu_s"] / files_cpu, 2)
        print("in the app:", figures["in_app_run"], "files again:", figures.get("from_files_again"),
              "ratio (wall, cpu)", figures["in_app_vs_files"], figures["in_app_vs_files_cpu"], flush=True)

    if held:
        _one_new_remains(figures, held, accession, genotypes, env, app, engine, admin)
    figures["peak_rss_mb_main"] = _peak_mb()
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


def _earlier_search_from_files(path: Path, figures: dict[str, Any]) -> dict[str, Any]:
    """The search from files of an earlier run of this benchmark on the same simulated data.

    The simulation is fixed by its sizes and seed, and the search from files never reads the
    database, so a run on a second database can reuse it; anything that would change the files or
    the search refuses.
    """
    earlier = json.loads(path.read_text())
    keys = ("families", "remains", "loci", "new", "seed", "threads")
    differ = [k for k in keys if earlier["setup"].get(k) != figures["setup"][k]]
    if earlier.get("parameters") != figures["parameters"]:
        differ.append("parameters")
    if differ or "from_files" not in earlier:
        raise SystemExit(f"{path}: not the same search ({', '.join(differ) or 'no from_files'}); run it again")
    return dict(earlier["from_files"], taken_from=f"{path.name} ({earlier['database']}, {earlier['when']})")


def _one_new_remains(figures: dict[str, Any], held: list[str], accession: dict[str, str], genotypes: pd.DataFrame,
                     env: dict[str, str], app: Any, engine: Any, admin: Any) -> None:
    """Step 6: each held-back remains profile imported through the app, timed to its candidates."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from labtrack.models import Match, MatchRun, Sample
    from labtrack.services import profile_import

    worker = subprocess.Popen([sys.executable, "-m", "benchmarks.match_run_in_app", "--stage", "worker-loop"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        latencies = []
        for h in held:
            acc = accession[h]
            raw = _long_csv(genotypes[genotypes["sample_id"] == acc])
            with app.app_context(), Session(engine, expire_on_commit=False) as session:
                started = time.perf_counter()
                profile_import.import_profiles(session=session, raw=raw, filename=f"{acc}.csv", by=admin)
                imported = time.perf_counter() - started
                sample_id = session.exec(select(Sample.id).where(Sample.accession == acc)).one()
                while True:
                    session.rollback()
                    run = session.exec(select(MatchRun).where(MatchRun.scope_json.contains(acc))  # type: ignore[attr-defined]
                                       .order_by(MatchRun.id.desc())).first()
                    if run is not None and run.status in ("done", "failed"):
                        break
                    if time.perf_counter() - started > 1800:
                        raise TimeoutError(f"no run of {acc} ended within 1800 s")
                    time.sleep(0.02)
                total = time.perf_counter() - started
                found = session.exec(select(func.count()).select_from(Match).where(
                    Match.sample_id == sample_id, Match.closed_at.is_(None))).one()
                latencies.append({"remains": acc, "import_s": round(imported, 2), "to_candidates_s": round(total, 2),
                                  "job_s": _job_seconds(session, run.id),
                                  "status": run.status, "candidates": found,
                                  "worker_memory": _memory_mb(worker.pid)})  # after its run
                print("one new remains:", latencies[-1], flush=True)
                assert run.status == "done", f"the run of {acc} failed: {run.error}"
        figures["one_new_remains"] = {"warm_up": latencies[0], "measured": latencies[1:],
                                      "median_to_candidates_s": float(np.median([x["to_candidates_s"]
                                                                                 for x in latencies[1:]] or [0]))}
        figures["worker_loop_memory_mb"] = _memory_mb(worker.pid)  # its peak over the warm-up and every run
    finally:
        worker.terminate()
        worker.wait(timeout=60)


if __name__ == "__main__":
    main()
