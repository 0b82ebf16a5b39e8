"""`labtrack demo` (load demo data) and `labtrack quickstart` (migrate, load, serve)."""

from __future__ import annotations

import os
import subprocess
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from labtrack import migrations_runner
from labtrack.db import get_engine, schema_is_current, standalone_session
from labtrack.services import demo as demo_service


def _print_report(report: demo_service.DemoReport) -> None:
    created = ", ".join(f"{n} {kind}" for kind, n in report.created.items()) or "nothing new"
    click.echo(f"Demo data: {created}.")
    if report.logins:
        click.echo("Demo logins (shown once; also saved to the instance folder):")
        for username, password in report.logins.items():
            click.echo(f"  {username:<12} {password}")
        path = f"{current_app.instance_path}/demo-logins.txt"
        with open(path, "a", encoding="utf-8") as handle:
            for username, password in report.logins.items():
                handle.write(f"{username}\t{password}\n")
    else:
        click.echo(f"Demo users exist already; their passwords are in "
                   f"{current_app.instance_path}/demo-logins.txt")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo data (sites, remains, samples, families, profiles) into the database."""
    engine = get_engine()
    if not schema_is_current(engine):
        raise click.ClickException(
            f"the database at {engine.url.render_as_string(hide_password=True)} has no labtrack tables yet: "
            "run `labtrack db upgrade` first (or `labtrack quickstart`, which migrates, loads the demo and serves)")
    with standalone_session() as db:
        _print_report(demo_service.load_demo(db))


@click.command("quickstart")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def quickstart(host: str, port: int) -> None:
    """Migrate the database, load the demo data and serve the app (waitress)."""
    from waitress import serve

    migrations_runner.upgrade(get_engine())
    with standalone_session() as db:
        _print_report(demo_service.load_demo(db))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if host in ("127.0.0.1", "localhost", "::1"):
        app.config["SESSION_COOKIE_SECURE"] = False  # plain HTTP on this machine only
        app.config["REMEMBER_COOKIE_SECURE"] = False
    worker = _start_worker(app)
    click.echo(f"labtrack is serving on http://{host}:{port}/  (log in with a demo login above; Ctrl+C stops)")
    try:
        serve(app, host=host, port=port, threads=8)
    except OSError as error:
        raise click.ClickException(f"cannot serve on {host}:{port} ({error.strerror or error}): "
                                   "the port is in use? choose another with --port") from error
    finally:
        worker.terminate()  # the worker puts a running job back in the queue
        worker.wait(timeout=30)


def _start_worker(app: Flask) -> subprocess.Popen[bytes]:
    """The job worker (match runs) as a child process on the same database."""
    env = {**os.environ, "LABTRACK_DATABASE_URL": app.config["DATABASE_URL"],
           "LABTRACK_INSTANCE_PATH": app.instance_path}
    return subprocess.Popen([sys.executable, "-m", "labtrack.cli", "worker"], env=env)  # this Python, fixed argv  # nosec B603
