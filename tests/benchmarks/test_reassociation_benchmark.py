"""The re-association benchmark's simulated graves and bulk rows are valid for the app: at a tiny
size the worker's run regroups every person of several parts whole, never puts two people in one
group, and the pages it times show the run (the timings are for ``benchmarks/README.md``)."""

from __future__ import annotations

from flask import Flask
from sqlmodel import Session

from benchmarks import reassociation
from labtrack.db import get_engine
from labtrack.services import audit


def test_a_simulated_grave_is_regrouped_by_the_worker(app: Flask) -> None:
    grave = reassociation.Grave(400, 4, dropout=0.05, failure=0.03, seed=3)
    reassociation.fill(app, grave, 4)
    job = reassociation.run(app)
    assert job["profiles"] == 400 and job["groups"] > 50

    checked = reassociation.truth(app, grave, job["run_id"])
    assert checked["people_with_several_parts"] == job["groups"]
    assert checked["people_regrouped_whole"] == checked["people_with_several_parts"]
    assert checked["same_person_pairs_linked"] == checked["same_person_pairs"] > job["groups"]
    assert checked["groups_mixing_people"] == 0

    timed = reassociation.pages(app, job["run_id"], repeat=0, find=grave.example)  # asserts the find
    assert set(timed) >= {"graves of the newest run", "groups of the run", "groups: find a remains"}
    with Session(get_engine(app)) as session:
        assert audit.verify_chain(session).ok  # the run's stored rows are covered by the audit chain
