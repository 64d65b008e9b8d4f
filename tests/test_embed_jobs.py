"""t-SNE maps off the page thread (issue 20): openTSNE separates two clusters, progress is
heard and can stop a fit, and the job runner caches a finished map and keeps a failure."""

from __future__ import annotations

import time

import numpy as np
import pytest

from netlib.embedding import tsne_2d
from runlayer.embed_jobs import EmbeddingJobs

pytest.importorskip("openTSNE")  # installed for the tests (requirements-embed.txt)
PATIENCE = 600  # seconds: only a bound against a hang


def blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (40, 10)), rng.normal(8, 1, (40, 10))])
    return x, np.repeat([0, 1], 40)


def wait_for(job) -> None:
    deadline = time.monotonic() + PATIENCE
    while job.state == "running":
        assert time.monotonic() < deadline, "the map never finished"
        time.sleep(0.02)


def test_tsne_keeps_two_clusters_apart_and_reports_progress():
    x, y = blobs()
    heard: list[float] = []
    m = tsne_2d(x, progress=heard.append)
    assert m.shape == (80, 2)
    nearest = np.argsort(((m[:, None] - m[None]) ** 2).sum(-1), axis=1)[:, 1]
    assert (y[nearest] == y).all()  # every point's nearest neighbour is of its own cluster
    assert heard == sorted(heard) and heard[-1] == 1.0


def test_a_progress_that_says_stop_ends_the_fit_early():
    x, _ = blobs()
    heard: list[float] = []
    tsne_2d(x, progress=lambda f: heard.append(f) or f >= 0.2)
    assert heard[-1] < 0.3


def test_the_job_runner_computes_once_caches_and_keeps_failures():
    jobs = EmbeddingJobs()
    x, _ = blobs()
    asked = []

    def features():
        asked.append(1)
        return x

    job = jobs.request(("run", 1), features)
    wait_for(job)
    assert job.state == "done" and job.result.shape == (80, 2) and job.progress == 1.0
    assert jobs.request(("run", 1), features) is job and len(asked) == 1

    def broken():
        raise ValueError("no such layer")

    bad = jobs.request(("run", 2), broken)
    wait_for(bad)
    assert bad.state == "failed" and bad.error == "ValueError: no such layer"
    assert jobs.request(("run", 2), broken) is bad  # said once, not retried on every rerun
