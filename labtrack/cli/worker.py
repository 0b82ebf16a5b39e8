"""`labtrack worker` (runs queued jobs), `labtrack jobs list|cancel`, `labtrack match-runs start`."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from labtrack.cli.profiles import acting_user, fail
from labtrack.core.errors import DomainError
from labtrack.db import standalone_session
from labtrack.models import JOB_ENDED
from labtrack.services import jobs, lab_settings, match_runs
from labtrack.services.worker import Worker, WorkerSettings


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs waiting now, then stop.")
@click.option("--poll", type=float, default=None, help="Seconds between looks at an empty queue.")
@click.option("--stale", type=float, default=None,
              help="Seconds without a heartbeat after which another worker's job counts as abandoned.")
@with_appcontext
def worker(once: bool, poll: float | None, stale: float | None) -> None:
    """Run queued jobs (match runs, ...) until stopped; start it beside the web server.

    SIGTERM or Ctrl+C stops it: the running job goes back to the queue. Several workers may run."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = WorkerSettings.from_config(app.config)
    settings = WorkerSettings(poll_seconds=poll if poll is not None else settings.poll_seconds,
                              heartbeat_seconds=settings.heartbeat_seconds,
                              stale_seconds=stale if stale is not None else settings.stale_seconds)
    runner = Worker(app, settings)
    click.echo(f"worker {runner.name} started")
    ran = runner.run(once=once, handle_signals=True)
    click.echo(f"worker {runner.name} stopped after {ran} job(s)")


@click.group("jobs")
def jobs_group() -> None:
    """The job queue: list, cancel."""


@jobs_group.command("list")
@click.option("--status", type=click.Choice(["queued", "running", "done", "failed", "cancelled"]), default=None)
@with_appcontext
def list_jobs(status: str | None) -> None:
    """Show the latest jobs (newest first)."""
    with standalone_session() as db:
        for job in jobs.list_jobs(db, status=status):
            line = f"{job.id}\t{job.kind}\t{job.status}\t{round(job.progress * 100)} %\t{job.worker or '-'}"
            click.echo(line + (f"\t{job.error}" if job.error else ""))


@jobs_group.command("cancel")
@click.argument("job_id", type=int)
@click.option("--user", "username", default=None, help="Who cancels (default: the first admin).")
@with_appcontext
def cancel(job_id: int, username: str | None) -> None:
    """Cancel a job (a running one stops at its next step)."""
    with standalone_session() as db:
        try:
            job = jobs.request_cancel(db, job_id, by=acting_user(db, username))
        except DomainError as error:
            raise fail(error) from error
        click.echo(f"job {job.id}: {'cancelled' if job.status == 'cancelled' else 'cancel requested'}")


@click.group("match-runs")
def match_runs_group() -> None:
    """Match runs (blind kinship searches of all remains against all families)."""


@match_runs_group.command("start")
@click.option("--theta", type=float, default=0.0, show_default=True)
@click.option("--top-k", type=int, default=5, show_default=True)
@click.option("--report-log10-lr", type=float, default=3.0, show_default=True)
@click.option("--prior", type=float, default=None,
              help="Prior probability of identity (default: 1 / number of families searched).")
@click.option("--mutation-model", type=click.Choice(["none", "equal", "proportional", "stepwise"]), default=None,
              help="Mutation model (default: the lab's, LABTRACK_MUTATION_MODEL).")
@click.option("--mutation-rate", type=float, default=None, help="Per meiosis (default: the lab's).")
@click.option("--mutation-rate-table", default=None,
              help="Per-marker rates: a table shipped in fixtures/mutation_rates (e.g. aabb2003_strbase) or none; "
                   "markers not in it keep the mutation rate (default: the lab's).")
@click.option("--dropout", type=float, default=None, help="Drop-out probability of the remains (default: the lab's).")
@click.option("--dropin", type=float, default=None, help="Drop-in probability of the remains (default: the lab's).")
@click.option("--frequency-table", "table_id", type=int, default=None, help="Table id (default: the default table).")
@click.option("--user", "username", default=None, help="Who starts it (default: the first admin).")
@click.option("--wait", is_flag=True, help="Wait until a worker has run it; exit 1 if it failed.")
@with_appcontext
def start(theta: float, top_k: int, report_log10_lr: float, prior: float | None, mutation_model: str | None,
          mutation_rate: float | None, mutation_rate_table: str | None, dropout: float | None,
          dropin: float | None, table_id: int | None,
          username: str | None, wait: bool) -> None:
    """Queue a full match run for the worker (mutation and drop-out models: the lab's unless given)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with standalone_session() as db:
        params = lab_settings.run_parameters(
            db, app.config, theta=theta, top_k=top_k, report_log10_lr=report_log10_lr, prior=prior,
            mutation_model=mutation_model, mutation_rate=mutation_rate, mutation_rate_table=mutation_rate_table,
            dropout=dropout, dropin=dropin)
        try:
            run = match_runs.start_run(session=db, by=acting_user(db, username), params=params,
                                       frequency_table_id=table_id, app=app)
        except DomainError as error:
            raise fail(error) from error
        job = jobs.job_for(db, "match_run", run.id or 0)
        click.echo(f"match run {run.id} queued as job {job.id if job else '-'}")
        if not wait or job is None:
            return
        shown, waited = -1, 0.0
        while True:
            job = jobs.get_job(db, job.id or 0)
            db.rollback()
            if job.status in JOB_ENDED:
                break
            if round(job.progress * 100) != shown:
                shown = round(job.progress * 100)
                click.echo(f"  {job.status} {shown} %")
            if job.status == "queued" and waited >= 10 and waited % 30 < 1:
                click.echo("  still waiting for a worker: is 'labtrack worker' running?")
            time.sleep(1.0)
            waited += 1.0
        run = match_runs.get_run(db, run.id or 0)
        click.echo(f"match run {run.id}: {run.status}, {run.n_matches} candidate(s), "
                   f"{run.n_remains} remains x {run.n_families} families")
        if run.status != "done":
            raise click.ClickException(run.error or job.error or "the run did not finish")
