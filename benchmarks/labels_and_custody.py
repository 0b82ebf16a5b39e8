"""Benchmark: label PDFs and custody-event latency/throughput with concurrent scanning clients.

    python benchmarks/labels_and_custody.py [--clients 50] [--seconds 20]

1. Time to render 1,000 labels (A4 sheet and thermal roll) as one PDF.
2. A real server (waitress, in a child process) on a fresh SQLite file; N client threads post
   custody events (``POST /api/v1/custody-events``, token auth, keep-alive connections):
   a) scanner pace: each client scans one item about every 2, 1 or 0.5 s;
   b) saturation: each client posts as fast as answers come back.
   Reports median and p99 latency and events per second. Not a test: it only measures.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def bench_labels() -> dict[str, float]:
    from labtrack.core import ids
    from labtrack.documents import labels

    data = [labels.LabelData(ids.sample_id(ids.remains_id("QTF", n), 1), "sample: femur", "QTF al-Qutayfah",
                             "مقبرة القطيفة", "QTF")
            for n in range(1, 1001)]
    results = {}
    for layout in ("sheet", "roll", "tube"):
        start = time.perf_counter()
        pdf = labels.render(data, layout)
        results[layout] = time.perf_counter() - start
        results[f"{layout}_bytes"] = len(pdf)
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(database_url: str, port: int, threads: int) -> None:
    """Child process: the app under waitress."""
    import logging

    import waitress

    from labtrack import create_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # the saturation run queues on purpose

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "benchmark-only-secret",
                      "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False})
    waitress.serve(app, host="127.0.0.1", port=port, threads=threads, connection_limit=200, _quiet=True)


def prepare(database_url: str, clients: int) -> tuple[str, list[list[str]], list[str]]:
    from sqlmodel import Session

    from labtrack import create_app
    from labtrack.db import create_schema, get_engine
    from labtrack.services import accounts, intake, storage

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "benchmark-only-secret"})
    engine = get_engine(app)
    create_schema(engine)
    with Session(engine, expire_on_commit=False) as db:
        tech = accounts.create_user(session=db, username="bench", full_name="Bench Technician", role="technician",
                                    password="benchmark password", by="benchmark")
        token = accounts.issue_token(session=db, user=tech, name="bench", by="benchmark")
        intake.create_site(session=db, data=intake.SiteInput(code="QTF", name_en="Benchmark site"), by=tech)
        room = storage.create_location(session=db, name="Room", level="room", number=1, parent_accession=None,
                                       by=tech)
        freezer = storage.create_location(session=db, name="Freezer", level="freezer", number=1,
                                          parent_accession=room.accession, by=tech)
        boxes = [storage.create_location(session=db, name=f"Box {n}", level="box", number=n,
                                         parent_accession=freezer.accession, by=tech).accession for n in (1, 2)]
        items = [[intake.register_remains(session=db, site_code="QTF", by=tech,
                                          data=intake.RemainsInput(remains_type="partial")).accession
                  for _ in range(2)] for _ in range(clients)]
    engine.dispose()
    return token, items, boxes


SCENARIOS = itertools.count()
WHERE: dict[str, int] = {}  # item -> index of the box it is in (each item belongs to one client)


def run_clients(port: int, token: str, items: list[list[str]], boxes: list[str], seconds: float,
                pace: float | None, burst: bool = False) -> tuple[list[float], int, float]:
    """pace: seconds between two scans of a client (None: no pause); burst: every client scans
    once, all at the same instant (a worst case: the whole queue at once)."""
    latencies: list[float] = []
    barrier = threading.Barrier(len(items)) if burst else None
    errors = 0
    scenario = next(SCENARIOS)
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(number: int) -> None:
        nonlocal errors
        rng = random.Random(number)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = items[number]
        n = 0
        if pace:
            # independent stations: each starts at its own moment within one pace interval
            # (50 clients firing their first scan in the same millisecond measure a burst instead)
            time.sleep(rng.uniform(0, pace))
        if barrier is not None:
            connection.connect()
            barrier.wait()
        while time.perf_counter() < stop_at or (barrier is not None and n == 0):
            item = mine[n % len(mine)]
            WHERE[item] = 1 - WHERE.get(item, 1)
            body = json.dumps({"item": item, "action": "store", "to_location": boxes[WHERE[item]],
                               "event_key": f"bench-{scenario}-{number}-{n}", "method": "scanned"})
            start = time.perf_counter()
            connection.request("POST", "/api/v1/custody-events", body=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if response.status != 201:
                    errors += 1
                    if errors <= 3:
                        print("    unexpected answer:", response.status, payload[:200])
            n += 1
            if barrier is not None:
                break
            if pace:
                time.sleep(max(0.0, rng.uniform(0.5 * pace, 1.5 * pace) - elapsed))
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(len(items))]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - start


def _report(name: str, latencies: list[float], errors: int, wall: float) -> None:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(f"  {name}: {len(ordered)} events in {wall:.1f} s = {len(ordered) / wall:.0f} events/s; "
          f"latency median {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
          f"max {ordered[-1] * 1000:.1f} ms; non-201 answers: {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--paces", type=float, nargs="*", default=[2.0, 1.0, 0.5],
                        help="seconds between two scans of one client (scanner pace scenarios)")
    parser.add_argument("--serve", nargs=2, metavar=("DATABASE_URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.server_threads)
        return

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    labels = bench_labels()
    print("1,000 labels in one PDF:")
    for layout in ("sheet", "roll", "tube"):
        print(f"  {layout}: {labels[layout]:.2f} s ({labels[layout + '_bytes'] / 1024:.0f} KiB)")

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite"
        token, items, boxes = prepare(url, args.clients)
        port = _free_port()
        server = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port),
                                   "--server-threads", str(args.server_threads)], cwd=ROOT)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            run_clients(port, token, items, boxes, 3, pace=1.0)  # warm-up (connections, caches), not reported
            print(f"custody events, {args.clients} clients, SQLite, waitress ({args.server_threads} threads):")
            for pace in args.paces:
                _report(f"one scan per client every ~{pace:g} s ({args.clients / pace:.0f} events/s offered)",
                        *run_clients(port, token, items, boxes, args.seconds, pace=pace))
            _report("saturation (no pause between requests)",
                    *run_clients(port, token, items, boxes, args.seconds, pace=None))
            bursts = [run_clients(port, token, items, boxes, 0, pace=None, burst=True) for _ in range(5)]
            _report(f"burst: all {args.clients} clients scan at the same instant (5 times)",
                    [x for b in bursts for x in b[0]], sum(b[1] for b in bursts), sum(b[2] for b in bursts))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
