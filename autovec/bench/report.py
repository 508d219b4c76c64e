"""The command line of ``python -m autovec.bench``: run the rows, each in a process of its own,
then print the tables and write ``bench.md``, ``bench.json`` and ``bench.png`` to ``--out``.

    python -m autovec.bench                      # every workload, the libraries' own threads
    python -m autovec.bench --threads 1          # one thread each: BLAS, OpenMP, XLA, torch
    python -m autovec.bench --quick --only tiny  # small sizes, one workload: a smoke run

Times are medians of interleaved runs, reported as ratios to hand-vectorised NumPy in the
same process (lower is better).  Peak memory is the rise of the process's resident memory
during one steady call above what was resident before it (Linux: the peak is reset through
``/proc/self/clear_refs`` before each call, so one process measures every implementation,
JAX's and PyTorch's allocators included, which ``tracemalloc`` cannot see).
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import json
import os
import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np

import autovec
from autovec.bench.runner import IMPLS
from autovec.bench.timing import fmt_time, markdown_table
from autovec.bench.workloads import WORKLOADS, Workload

ROOT = Path(autovec.__file__).resolve().parent.parent
ROW_TIMEOUT_S = 600


def thread_env(threads: int | None) -> dict[str, str]:
    """The environment a row's process starts with: libraries read their thread counts from
    it when they load, so it cannot be changed once NumPy is imported."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if threads:
        n = str(threads)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = n
        env["NUMBA_NUM_THREADS"] = n
        flags = env.get("XLA_FLAGS", "")
        if threads == 1:
            flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        else:
            flags += f" intra_op_parallelism_threads={n}"
        env["XLA_FLAGS"] = flags.strip()
    return env


def pinned_cpus(threads: int | None) -> set[int] | None:
    """The CPUs a row's process is held to with ``--threads N``: the first N this process may
    run on (None: no limit, or no way to set one here).

    The thread settings alone do not hold every library to N threads: XLA's CPU client runs
    large dot products on its own pool whatever ``XLA_FLAGS`` says (measured with jax 0.10.2
    and one thread asked for: a float64 8192x256 by 256x512 product took 36 ms of wall time
    and 71 ms of CPU time).  Holding the process to N CPUs makes "N threads each" true of
    every column alike."""
    if not threads or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    return set(allowed[:threads]) if threads < len(allowed) else None


def _hold_to(cpus: set[int]) -> None:
    """In the row's process before it starts: run on ``cpus`` only (where the system refuses,
    the row runs unheld; its ``cpus`` field then shows it)."""
    try:
        os.sched_setaffinity(0, cpus)
    except OSError:
        pass


def run_in_process(w: Workload, spec: dict, threads: int | None) -> dict:
    """One row in a fresh interpreter; a failed process becomes a row saying so."""
    cmd = [sys.executable, "-m", "autovec.bench.runner", json.dumps({"key": w.key, **spec})]
    cpus = pinned_cpus(threads)
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=thread_env(threads),
            timeout=ROW_TIMEOUT_S,
            preexec_fn=None if cpus is None else lambda: _hold_to(cpus),
        )
    except subprocess.TimeoutExpired:
        return _broken_row(w, f"timed out after {ROW_TIMEOUT_S} s")
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return _broken_row(w, f"the row's process failed ({done.returncode}): {tail}")
    return json.loads(lines[-1])


def _broken_row(w: Workload, why: str) -> dict:
    return {
        "key": w.key,
        "title": w.title,
        "group": w.group,
        "sizes": "",
        "loop_stride": 1,
        "error": why,
        "impls": {},
    }


# ---------------------------------------------------------------------------- tables


def _ratio(x: float) -> str:
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


class Notes:
    """Footnotes for cells that hold no figure: one mark per distinct reason."""

    def __init__(self) -> None:
        self.marks: dict[str, str] = {}

    def mark(self, text: str) -> str:
        if text not in self.marks:
            self.marks[text] = f"[{len(self.marks) + 1}]"
        return self.marks[text]

    def lines(self) -> list[str]:
        return [f"{mark} {text}" for text, mark in self.marks.items()]


def _cell(entry: dict | None, value: str, notes: Notes, key: str) -> str:
    if entry is None:
        return ""
    status = entry["status"]
    if status == "ok":
        return value
    if status == "absent":
        return "-"
    word = {"fails": "fails", "wrong": "WRONG", "n/a": "n/a"}[status]
    reason = entry.get("reason", "")
    return f"{word} {notes.mark(f'{IMPLS[key]}: {reason}')}"


def tables(rows: list[dict], impls: list[str]) -> tuple[str, str, str, list[str]]:
    """The time ratios, the first calls and the peak memory, as Markdown tables, and the
    footnotes they refer to."""
    notes = Notes()
    others = [k for k in impls if k != "numpy"]
    head = ["workload", "sizes", "NumPy by hand", *(IMPLS[k] for k in others)]
    ratio_rows, first_rows, memory_rows = [], [], []
    first_keys = [k for k in ("jit", "jax.jit") if k in impls]
    for row in rows:
        entries = row["impls"]
        title = row["title"]
        if "error" in row:
            title += " " + notes.mark(f"{row['title']}: {row['error']}")
        hand = entries.get("numpy", {}).get("time")
        cells = [title, row["sizes"], fmt_time(hand) if hand else "-"]
        for key in others:
            entry = entries.get(key)
            t = entry.get("time") if entry else None
            value = _ratio(t / hand) if t and hand else "-"
            if key == "loop" and row["loop_stride"] > 1 and t:
                value += "*"
            cells.append(_cell(entry, value, notes, key))
        ratio_rows.append(cells)
        firsts = []
        for k in first_keys:
            entry = entries.get(k, {})
            first, steady = entry.get("first", float("nan")), entry.get("time", float("nan"))
            firsts.append(_cell(entries.get(k), fmt_time(first), notes, k))
            # One first call against a median: noise can make the difference negative.
            extra = fmt_time(first - steady) if first > steady else "~0"
            firsts.append(_cell(entries.get(k), extra, notes, k))
        first_rows.append([row["title"], *firsts])
        memory_rows.append(
            [
                row["title"],
                *(
                    _cell(entries.get(k), _mb(entries.get(k, {}).get("peak_mb")), notes, k)
                    for k in impls
                ),
            ]
        )
    ratio_table = markdown_table(head, ratio_rows)
    first_head = [f"{IMPLS[k]}{part}" for k in first_keys for part in ("", ": first - steady")]
    first_table = markdown_table(["workload", *first_head], first_rows)
    memory_table = markdown_table(["workload", *(IMPLS[k] for k in impls)], memory_rows)
    return ratio_table, first_table, memory_table, notes.lines()


def _mb(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} MB" if value >= 10 else f"{value:.1f} MB"


def cpu_model() -> str:
    """The processor's name and its widest vector extension: ratios to NumPy move with both
    (NumPy, XLA and numba each pick their loops by what the CPU offers)."""
    name = platform.processor() or platform.machine()
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    name = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    widest = next((v for v in ("avx512f", "avx2", "avx") if v in flags), None)
    return f"{name}, {widest.upper()}" if widest else name


def environment(threads: int | None, backend: Any) -> str:
    parts = [
        f"autovec {autovec.__version__}",
        f"NumPy {np.__version__}",
        f"Python {platform.python_version()}",
    ]
    for name in ("numba", "jax", "torch"):
        try:
            module = __import__(name)
        except ImportError:
            why = " (autovec.jit runs NumPy code)" if name == "numba" else ""
            parts.append(f"{name} not installed{why}")
        else:
            parts.append(f"{name} {module.__version__}")
    parts.append(f"{os.cpu_count()} CPUs ({cpu_model()})")
    cpus = pinned_cpus(threads)
    if cpus is not None:
        parts.append(f"each row held to {len(cpus)} of them")
    parts.append(
        "threads: 1 each (BLAS, OpenMP, XLA, torch)"
        if threads == 1
        else f"threads: {threads} each"
        if threads
        else "threads: the libraries' defaults"
    )
    if backend is not None:
        parts.append(f"autovec.jit backend={backend}")
    return ", ".join(parts)


def markdown(rows: list[dict], impls: list[str], header: str, repeat: int) -> str:
    ratio, first, memory, notes = tables(rows, impls)
    scaled = any(r["loop_stride"] > 1 for r in rows)
    text = [
        "# autovec benchmark report",
        "",
        header,
        "",
        f"## Time, as a ratio to hand-vectorised NumPy (median of {repeat} interleaved runs; "
        "lower is better)",
        "",
        ratio,
        "",
    ]
    if scaled:
        text += ["\\* the loop ran over every k-th example; its time is scaled to the batch.", ""]
    text += [
        "## First call: trace and compile included",
        "",
        "The first call of a fresh function in the row's process (after the library's eager "
        "variant ran, so the library's own start-up is not in it), and that minus one steady "
        "call: the cost of tracing and compiling (~0: within the noise).",
        "",
        first,
        "",
        "## Peak memory: rise of resident memory during one steady call, inputs excluded",
        "",
        memory,
        "",
    ]
    if notes:
        text += ["## Notes", "", *(line + "  " for line in notes), ""]
    return "\n".join(text)


# ----------------------------------------------------------------------------- chart


# Bar colours: the loop grey, autovec's two in strong colours, JAX's and PyTorch's muted.
COLOURS = {
    "loop": "#9e9e9e",
    "vmap": "#1f77b4",
    "jit": "#0b3d91",
    "jax.vmap": "#f4b183",
    "jax.jit": "#d9541e",
    "torch.vmap": "#9bc48d",
}


def chart(rows: list[dict], impls: list[str], path: Path, title: str) -> bool:
    """A bar chart of the ratios to NumPy (log scale); False when matplotlib is absent."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [k for k in impls if k != "numpy"]
    height = 0.8 / max(len(shown), 1)
    fig, ax = plt.subplots(figsize=(10, 0.8 * len(rows) + 1.8))
    ratios = [
        e["time"] / r["impls"]["numpy"]["time"]
        for r in rows
        for e in r["impls"].values()
        if e.get("time") and r["impls"].get("numpy", {}).get("time")
    ]
    left = min(ratios, default=0.1) / 3
    for j, key in enumerate(shown):
        ys, xs = [], []
        for i, row in enumerate(rows):
            entry = row["impls"].get(key, {})
            hand = row["impls"].get("numpy", {}).get("time")
            y = i + (j - (len(shown) - 1) / 2) * height
            if entry.get("status") == "ok" and entry.get("time") and hand:
                ys.append(y)
                xs.append(entry["time"] / hand)
            elif entry.get("status") in ("fails", "wrong", "n/a"):
                word = {"fails": "fails", "wrong": "WRONG", "n/a": "n/a"}[entry["status"]]
                ax.text(left * 1.1, y, f"{IMPLS[key]}: {word}", va="center", fontsize=6)
        ax.barh(
            ys,
            [x - left for x in xs],
            height=height,
            label=IMPLS[key],
            color=COLOURS.get(key),
            left=left,
        )
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlim(left=left)
    ax.set_yticks(range(len(rows)), [r["title"] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time / hand-vectorised NumPy (log scale; lower is better)")
    # The header's parts, as many to a line as fit the figure's width.
    ax.set_title("\n".join(textwrap.wrap(title, 125)), fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


# ------------------------------------------------------------------------ command line


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m autovec.bench",
        description="autovec against the Python loop, NumPy by hand, JAX and PyTorch.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds): a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run the workloads whose key or title contains NAME (repeatable; keys: "
        + ", ".join(w.key for w in WORKLOADS)
        + ")",
    )
    parser.add_argument(
        "--impls",
        help="comma-separated implementations to run (default: all; those of a library "
        "that is not installed are skipped): " + ", ".join(IMPLS),
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="threads for BLAS, OpenMP, XLA and torch (default: the libraries' own choice)",
    )
    parser.add_argument("--repeat", type=int, help="timed runs per implementation (median)")
    parser.add_argument(
        "--out", default="bench-results", help="folder for bench.md, bench.json, bench.png"
    )
    parser.add_argument(
        "--backend", help="passed to autovec.jit(..., backend=) (when jit has that option)"
    )
    return parser.parse_args(argv)


def select(only: list[str] | None) -> list[Workload]:
    if not only:
        return list(WORKLOADS)
    wanted = [n.lower() for name in only for n in name.split(",")]
    chosen = [w for w in WORKLOADS if any(n in w.key or n in w.title.lower() for n in wanted)]
    if not chosen:
        raise SystemExit(
            f"--only {' '.join(only)}: no workload matches; keys: "
            + ", ".join(w.key for w in WORKLOADS)
        )
    return chosen


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    impls = list(IMPLS) if not args.impls else [k.strip() for k in args.impls.split(",")]
    unknown = [k for k in impls if k not in IMPLS]
    if unknown or "numpy" not in impls:
        raise SystemExit(
            f"--impls: {unknown or 'numpy (the baseline) is required'}; known: {', '.join(IMPLS)}"
        )
    if args.backend is not None and "backend" not in inspect.signature(autovec.jit).parameters:
        raise SystemExit("--backend: this autovec.jit has no backend= option")
    repeat = args.repeat or (3 if args.quick else 5)
    spec = {
        "quick": args.quick,
        "impls": impls,
        "repeat": repeat,
        "min_time": 0.005 if args.quick else 0.05,
        "threads": args.threads,
        "backend": args.backend,
    }
    header = environment(args.threads, args.backend)
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    header += f"; {when}" + ("; --quick sizes" if args.quick else "")
    print(header, flush=True)
    rows = []
    for w in select(args.only):
        t0 = time.perf_counter()
        rows.append(run_in_process(w, spec, args.threads))
        took = time.perf_counter() - t0
        print(f"  {w.title}: {took:.1f} s", file=sys.stderr, flush=True)
    text = markdown(rows, impls, header, repeat)
    print("\n" + text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.md").write_text(text)
    (out / "bench.json").write_text(json.dumps({"header": header, "rows": rows}, indent=1))
    if chart(rows, impls, out / "bench.png", header):
        print(f"wrote {out / 'bench.md'}, {out / 'bench.json'} and {out / 'bench.png'}")
    else:
        print(f"wrote {out / 'bench.md'} and {out / 'bench.json'}; no chart: matplotlib absent")
    wrong = [
        f"{row['title']}: {IMPLS[key]}"
        for row in rows
        for key, entry in row["impls"].items()
        if entry["status"] == "wrong"
    ]
    if wrong:
        print("results that differ from the loop: " + "; ".join(wrong), file=sys.stderr)
    return 1 if wrong else 0
