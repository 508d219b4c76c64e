"""``python -m autovec.bench``: the report is produced, and no implementation is timed unless
its result equals the Python loop's."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autovec.bench import report, runner
from autovec.bench.workloads import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
NUMPY_ONLY = ["loop", "numpy", "vmap", "jit"]


def workload(key: str):
    (w,) = [w for w in WORKLOADS if w.key == key]
    return w


def test_quick_run_writes_the_tables_and_agrees_with_the_loop(tmp_path):
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, "-m", "autovec.bench", "--quick", "--repeat", "1", "--only", "tiny"]
        + ["--only", "seed", "--impls", ",".join(NUMPY_ONLY), "--threads", "1"]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads((out / "bench.json").read_text())["rows"]
    assert [r["key"] for r in rows] == ["seed", "tiny"]
    for row in rows:
        assert list(row["impls"]) == NUMPY_ONLY
        for key, entry in row["impls"].items():
            assert entry["status"] == "ok", (row["key"], key, entry)
            assert entry["time"] > 0 and entry["first"] > 0
    text = (out / "bench.md").read_text()
    assert "| seed convolution" in text and "| tiny x * x + 1" in text
    assert "autovec jit(vmap)" in text and "threads: 1 each" in text
    assert "## Peak memory" in text and "## First call" in text
    assert text.strip() in done.stdout
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "no chart: matplotlib absent" in done.stdout
    else:
        assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_result_that_differs_from_the_loop_is_reported_and_not_timed():
    w = dataclasses.replace(workload("tiny"), hand=lambda x: x * x + 1.5)
    row = runner.run_row(w, quick=True, impls=NUMPY_ONLY, repeat=1, min_time=0.0)
    hand = row["impls"]["numpy"]
    assert hand["status"] == "wrong" and "differs from the loop by up to 0.5" in hand["reason"]
    assert "time" not in hand and "peak_mb" not in hand
    assert row["impls"]["vmap"]["status"] == "ok" and row["impls"]["vmap"]["time"] > 0


def test_a_wrong_shape_and_a_refusal_are_reported():
    w = dataclasses.replace(workload("tiny"), hand=lambda x: (x * x + 1)[:-1])
    row = runner.run_row(w, quick=True, impls=NUMPY_ONLY, repeat=1, min_time=0.0)
    assert row["impls"]["numpy"]["status"] == "wrong"
    assert "shape (7,)" in row["impls"]["numpy"]["reason"]

    def refuses(x):
        raise ValueError("no thanks")

    w = dataclasses.replace(workload("tiny"), fun=refuses, hand=lambda x: x)
    with pytest.raises(ValueError, match="no thanks"):  # the loop is the reference: it must run
        runner.run_row(w, quick=True, impls=NUMPY_ONLY, repeat=1, min_time=0.0)


def test_the_loop_runs_every_stride_th_example_and_is_scaled():
    w = workload("pairwise")  # nested: the outer loop runs over every stride-th row of xs
    xs, ys = np.arange(12.0).reshape(4, 3), np.ones((5, 3))
    got = runner.workload_loop(w, (xs, ys), stride=2)
    want = np.sqrt(((xs[::2, None, :] - ys[None]) ** 2).sum(-1))
    np.testing.assert_allclose(got, want)
    assert runner.compare(runner.workload_loop(w, (xs, ys), 1), got, 2, 1e-12, 0.0) is None


def test_threads_reach_every_library_through_the_environment():
    env = report.thread_env(1)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        assert env[var] == "1"
    assert "--xla_cpu_multi_thread_eigen=false" in env["XLA_FLAGS"]
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)
    assert report.thread_env(None).get("OMP_NUM_THREADS") == os.environ.get("OMP_NUM_THREADS")


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_threads_n_holds_each_row_to_n_cpus():
    allowed = sorted(os.sched_getaffinity(0))
    assert report.pinned_cpus(None) is None
    assert report.pinned_cpus(len(allowed)) is None  # all of them: nothing to hold
    if len(allowed) > 1:
        assert report.pinned_cpus(1) == {allowed[0]}
        spec = {"quick": True, "impls": NUMPY_ONLY, "repeat": 1}
        assert "held to 1 of them" in report.environment(1, None)
        row = report.run_in_process(workload("tiny"), spec, 1)
        assert row["impls"]["numpy"]["status"] == "ok"
        assert row["cpus"] == 1


def test_jax_and_torch_agree_with_the_loop_when_installed():
    impls = ["loop", "numpy"]
    for name, key in (("jax", "jax.jit"), ("torch", "torch.vmap")):
        try:
            __import__(name)
        except ImportError:
            continue
        impls.append(key)
    if len(impls) == 2:
        pytest.skip("neither jax nor torch is installed")
    row = runner.run_row(workload("tiny"), quick=True, impls=impls, repeat=1, min_time=0.0)
    assert all(row["impls"][k]["status"] == "ok" for k in impls), row


def test_unknown_names_are_refused():
    with pytest.raises(SystemExit, match="no workload matches"):
        report.select(["no-such-workload"])
    with pytest.raises(SystemExit, match="known: loop, numpy"):
        report.main(["--impls", "numpy,numba"])
