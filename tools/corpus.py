"""Run public functions of real libraries under ``vmap`` and ``jit(vmap)`` against the loop.

Each case is a function for ONE example (of one or more arrays) and a batch of realistic
inputs. The reference is the Python loop: ``np.stack([f(*example) for example in batch])``
(an exception in the loop is the reference too: the transform must raise the same type).
Every case is classified, per transform, as

- ``equal``: same shape, dtype and values (floats to a tolerance; NaN equals NaN);
- ``refused``: a specific ``autovec.errors`` exception where the loop runs (an exception of
  the loop's type, or a subclass, where the loop raises counts as equal);
- ``internal``: any other exception where the loop runs, or a different exception type;
- ``wrong``: a result that differs from the loop's (the worst outcome).

Warnings (``FallbackWarning``, ``JitFallbackWarning``) do not count: per-lane fallback still
gives the loop's result. ``jit(vmap(f))`` is called on two batches (the second replays the
cached program) and both results must equal the loop's.

This is a tool, not part of the test suite: it needs pvlib, astropy, filterpy, pymap3d,
skyfield, scikit-image, colour-science and numpy-financial (any that is missing is skipped),
besides SciPy and scikit-learn::

    python tools/corpus.py                  # every case, both transforms, table + failures
    python tools/corpus.py -p scipy -k stats  # packages / case names containing a word
"""

from __future__ import annotations

import argparse
import importlib
import math
import re
import signal
import sys
import time
import traceback
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import autovec  # noqa: E402
from autovec import errors  # noqa: E402

RTOL, ATOL = 1e-6, 1e-9
CASES: list[Case] = []


@dataclass
class Case:
    package: str
    name: str
    fun: Callable
    make: Callable  # (rng, batch) -> tuple of batched arrays
    rtol: float = RTOL
    atol: float = ATOL


def case(package: str, name: str, make: Callable, *, rtol: float = RTOL, atol: float = ATOL):
    """Decorator: register ``fun`` as a per-example function of the arrays ``make`` gives."""

    def register(fun: Callable, rtol: float = rtol, atol: float = atol) -> Callable:
        CASES.append(Case(package, name, fun, make, rtol, atol))
        return fun

    return register


# ----------------------------------------------------------------------------- input makers
def U(lo: float, hi: float, *shape: int) -> Callable:
    """Uniform floats in [lo, hi) of per-example ``shape``."""
    return lambda rng, b: rng.uniform(lo, hi, (b, *shape))


def N(*shape: int, scale: float = 1.0) -> Callable:
    return lambda rng, b: rng.normal(0.0, scale, (b, *shape))


def I(lo: int, hi: int, *shape: int) -> Callable:  # noqa: E743
    return lambda rng, b: rng.integers(lo, hi, (b, *shape))


def SPD(n: int) -> Callable:
    """Symmetric positive definite n x n matrices."""

    def make(rng, b):
        a = rng.normal(size=(b, n, n))
        return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)

    return make


def EDGE(maker: Callable, value: Any, lane: int = 1) -> Callable:
    """``maker``'s batch with one example (``lane``) set to an edge value: the lanes diverge
    (another branch, an exception, a NaN) where the rest do not."""

    def make(rng, b):
        out = np.array(maker(rng, b))
        out[lane % b] = value
        return out

    return make


def args(*makers: Callable) -> Callable:
    return lambda rng, b: tuple(m(rng, b) for m in makers)


# ----------------------------------------------------------------------------- the runner
class CaseTimeout(BaseException):
    """A case ran past its time limit (BaseException: library code must not swallow it)."""


def _on_alarm(signum, frame):
    raise CaseTimeout()


def _stack(outs: list[Any]) -> Any:
    first = outs[0]
    if isinstance(first, (tuple, list)) and not isinstance(first, str):
        return tuple(_stack([o[i] for o in outs]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _stack([o[k] for o in outs]) for k in first}
    return np.stack([np.asarray(o) for o in outs])


def _compare(got: Any, want: Any, rtol: float, atol: float, path: str = "") -> str | None:
    """None when equal, else what differs."""
    if isinstance(want, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"{path}: structure {type(got).__name__} vs tuple of {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            d = _compare(g, w, rtol, atol, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return f"{path}: structure {type(got).__name__} vs dict {sorted(want)}"
        for k in want:
            d = _compare(got[k], want[k], rtol, atol, f"{path}[{k!r}]")
            if d:
                return d
        return None
    if type(got).__module__.startswith("autovec"):
        return f"{path}: a tracer leaked out ({type(got).__name__})"
    g, w = np.asarray(got), np.asarray(want)
    if g.shape != w.shape:
        return f"{path}: shape {g.shape} vs loop {w.shape}"
    if g.dtype != w.dtype:
        return f"{path}: dtype {g.dtype} vs loop {w.dtype}"
    if w.dtype.kind in "fc":
        if not np.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True):
            err = np.nanmax(np.abs(g - w)) if g.size else 0
            return f"{path}: values differ (max abs diff {err:.3g})"
        return None
    if w.dtype.kind == "O":
        return None if all(a == b for a, b in zip(g.ravel(), w.ravel())) else f"{path}: values"
    if not np.array_equal(g, w):
        return f"{path}: values differ"
    return None


def _loop(fun: Callable, batch: tuple) -> tuple[str, Any]:
    """("ok", stacked outputs), ("raise", the first lane's exception) or ("broken", the
    exception) when every lane raises (a broken example, not a test of anything)."""
    outs, first = [], None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(len(batch[0])):
            try:
                outs.append(fun(*(a[i] for a in batch)))
            except CaseTimeout:
                raise
            except Exception as e:  # the loop's first exception is the reference
                first = first or e
    if first is not None:
        return ("broken" if not outs else "raise"), first
    try:
        return "ok", _stack(outs)
    except ValueError as e:  # outputs of different shapes: np.stack's error is the loop's
        return "raise", e


def _classify(run: Callable, want: tuple[str, Any], c: Case) -> tuple[str, str]:
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            got = run()
    except CaseTimeout:
        return "timeout", "ran past the time limit"
    except Exception as e:
        first = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        if want[0] in ("raise", "broken") and isinstance(e, type(want[1])):
            return "equal", ""
        if want[0] in ("raise", "broken"):
            return "internal", f"{first} (the loop raises {type(want[1]).__name__})"
        if isinstance(e, errors.AutovecError):
            return "refused", first
        tb = traceback.extract_tb(e.__traceback__)
        where = next((f for f in reversed(tb) if "/autovec/" in f.filename), None)
        at = f" [{Path(where.filename).name}:{where.lineno}]" if where else ""
        return "internal", first + at
    if want[0] in ("raise", "broken"):
        return "wrong", f"returned, the loop raises {type(want[1]).__name__}: {want[1]}"
    diff = _compare(got, want[1], c.rtol, c.atol)
    if diff:
        return "wrong", diff
    fell = [str(w.message) for w in seen if issubclass(w.category, errors.FallbackWarning)]
    return "equal", ("fallback: " + fell[0]) if fell else ""


TRANSFORMS = ("vmap", "jit(vmap)")


def _cause(message: str, by_line: bool = False) -> str:
    """A fallback warning's gist: what fell back (and, ``by_line``, where)."""
    text = re.sub(r"\S*/(site-packages|tools)/", "", message.removeprefix("fallback: "))
    text = re.sub(r" \((or indexing|also math)[^)]*\)", "", text.split(": NumPy offers")[0])
    return text if by_line else re.sub(r" at \S+\.py:\d+", "", text)


def run_case(c: Case, batch_size: int, seed: int, limit: int) -> dict[str, tuple[str, str]]:
    rng = np.random.default_rng(seed)
    batch1, batch2 = c.make(rng, batch_size), c.make(rng, batch_size)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(limit)
    try:
        want1, want2 = _loop(c.fun, batch1), _loop(c.fun, batch2)
        if want1[0] == "broken" and want2[0] == "broken":
            note = f"{type(want1[1]).__name__}: {want1[1]}"
            return {t: ("loop-raises", note) for t in TRANSFORMS}
        result = {"vmap": _classify(lambda: autovec.vmap(c.fun)(*batch1), want1, c)}
        jitted = autovec.jit(autovec.vmap(c.fun))
        first = _classify(lambda: jitted(*batch1), want1, c)
        second = _classify(lambda: jitted(*batch2), want2, c) if first[0] == "equal" else first
        result["jit(vmap)"] = second if second[0] != "equal" else first
        if second[0] != "equal" and first[0] == "equal":
            result["jit(vmap)"] = (second[0], "second call: " + second[1])
        return result
    except CaseTimeout:
        return {t: ("timeout", "ran past the time limit") for t in TRANSFORMS}
    finally:
        signal.alarm(0)


PACKAGES = {
    "pvlib": "pvlib",
    "astropy": "astropy",
    "filterpy": "filterpy",
    "pymap3d": "pymap3d",
    "skyfield": "skyfield",
    "scipy": "scipy",
    "sklearn": "sklearn",
    "skimage": "skimage",
    "colour": "colour",
    "numpy_financial": "numpy_financial",
    "edges": "pymap3d",  # (needs all of the packages it names; pymap3d is the first)
}


def load_cases(packages: list[str]) -> list[str]:
    """Import the case modules of ``packages``; return the packages that are missing."""
    missing = []
    for p in packages:
        try:
            importlib.import_module(PACKAGES[p])
        except ImportError:
            missing.append(p)
            continue
        globals()[f"_cases_{p}"]()
    return missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-p", "--package", action="append", choices=sorted(PACKAGES))
    ap.add_argument("-k", "--keyword", help="only cases whose name contains this")
    ap.add_argument("-b", "--batch", type=int, default=4, help="examples per batch (4)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=60, help="seconds per case (60)")
    ap.add_argument("--causes", type=int, default=15, help="fallback causes to list (15)")
    ap.add_argument("--by-line", action="store_true", help="fallback causes by file:line")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each case as it runs")
    opts = ap.parse_args(argv)
    missing = load_cases(opts.package or list(PACKAGES))
    if missing:
        print("not installed (skipped):", ", ".join(missing))
    cases = [c for c in CASES if not opts.keyword or opts.keyword in f"{c.package}.{c.name}"]
    table: dict[tuple[str, str], Counter] = defaultdict(Counter)
    failures = []
    causes: Counter = Counter()
    start = time.perf_counter()
    for i, c in enumerate(cases):
        t0 = time.perf_counter()
        res = run_case(c, opts.batch, opts.seed + i, opts.limit)
        for t, (kind, msg) in res.items():
            table[(c.package, t)][kind] += 1
            if kind != "equal":
                failures.append((c.package, c.name, t, kind, msg))
            elif msg:  # equal, but some lanes ran as the loop (or uncompiled)
                table[(c.package, t)]["fell back"] += 1
                if t == "vmap":
                    causes[_cause(msg, opts.by_line)] += 1
        if opts.verbose:
            kinds = " ".join(f"{t}={k}" for t, (k, _) in res.items())
            print(f"{c.package}.{c.name}: {kinds} ({time.perf_counter() - t0:.1f}s)", flush=True)
    kinds = ("equal", "fell back", "refused", "internal", "wrong", "timeout", "loop-raises")
    print(f"\n{len(cases)} cases, batch {opts.batch}, {time.perf_counter() - start:.0f}s")
    print(f"{'package':16} {'transform':10} " + " ".join(f"{k:>11}" for k in kinds))
    totals: dict[str, Counter] = defaultdict(Counter)
    for (p, t), cnt in sorted(table.items()):
        print(f"{p:16} {t:10} " + " ".join(f"{cnt[k]:>11}" for k in kinds))
        totals[t].update(cnt)
    for t in TRANSFORMS:
        cnt = totals[t]
        runs = sum(cnt.values()) - cnt["loop-raises"] - cnt["fell back"]
        share = 100 * cnt["equal"] / runs if runs else math.nan
        print(
            f"{'TOTAL':16} {t:10} " + " ".join(f"{cnt[k]:>11}" for k in kinds) + f"  {share:.1f}%"
        )
    if causes and opts.causes:
        print("\nwhat made vmap fall back (first warning of each case):")
        for cause, count in causes.most_common(opts.causes):
            print(f"  {count:4}  {cause}")
    if failures:
        print("\nnot equal:")
        for p, n, t, kind, msg in failures:
            print(f"  {kind:11} {t:10} {p}.{n}: {msg[:160]}")
    return 1 if any(totals[t]["wrong"] for t in TRANSFORMS) else 0


# ============================================================================== the cases
# Each ``_cases_<package>`` registers that package's cases (called only when it imports).


def _cases_numpy_financial():
    import numpy_financial as npf

    P = "numpy_financial"
    rates = U(0.01, 0.1)
    case(P, "fv", args(rates, I(5, 30), U(-500, -100), U(-1e4, 0)))(
        lambda r, n, pmt, pv: npf.fv(r / 12, n, pmt, pv)
    )
    case(P, "pv", args(rates, I(5, 30), U(-500, -100)))(lambda r, n, pmt: npf.pv(r / 12, n, pmt))
    case(P, "pmt", args(rates, I(12, 360), U(1e4, 1e6)))(lambda r, n, pv: npf.pmt(r / 12, n, pv))
    case(P, "nper", args(rates, U(-2000, -500), U(1e4, 5e4)))(
        lambda r, pmt, pv: npf.nper(r / 12, pmt, pv)
    )
    case(P, "ipmt", args(rates, U(1e4, 1e5)))(
        lambda r, pv: npf.ipmt(r / 12, np.arange(1, 13), 12, pv)
    )
    case(P, "ppmt", args(rates, U(1e4, 1e5)))(lambda r, pv: npf.ppmt(r / 12, 3, 24, pv))
    case(P, "rate", args(I(12, 60), U(-500, -200), U(5e3, 1e4)))(
        lambda n, pmt, pv: npf.rate(n, pmt, pv, 0)
    )
    case(P, "npv", args(rates, N(6, scale=100)))(lambda r, cf: npf.npv(r, cf))

    def irr(cf):
        return npf.irr(np.concatenate([[-1000.0], cf]))

    case(P, "irr", args(U(100, 400, 5)))(irr)

    def mirr(cf):
        return npf.mirr(np.concatenate([[-1000.0], cf]), 0.05, 0.07)

    case(P, "mirr", args(U(100, 400, 5)))(mirr)


def _cases_pvlib():
    from pvlib import atmosphere, iam, irradiance, pvsystem, solarposition, temperature

    P = "pvlib"
    zen, azi = U(5, 85), U(60, 300)
    tilt, sazi = U(0, 60), U(90, 270)
    ghi, dni, dhi = U(100, 1000), U(100, 900), U(20, 300)
    case(P, "aoi", args(tilt, sazi, zen, azi))(irradiance.aoi)
    case(P, "aoi_projection", args(tilt, sazi, zen, azi))(irradiance.aoi_projection)
    case(P, "beam_component", args(tilt, sazi, zen, azi, dni))(irradiance.beam_component)
    case(P, "get_total_irradiance", args(tilt, sazi, zen, azi, dni, ghi, dhi))(
        lambda t, s, z, a, dn, gh, dh: irradiance.get_total_irradiance(t, s, z, a, dn, gh, dh)[
            "poa_global"
        ]
    )
    case(P, "isotropic", args(tilt, dhi))(irradiance.isotropic)
    case(P, "klucher", args(tilt, sazi, dhi, ghi, zen, azi))(irradiance.klucher)
    case(P, "haydavies", args(tilt, sazi, dhi, dni, U(1300, 1400), zen, azi))(irradiance.haydavies)
    case(P, "reindl", args(tilt, sazi, dhi, dni, ghi, U(1300, 1400), zen, azi))(irradiance.reindl)
    case(P, "perez", args(tilt, sazi, dhi, dni, U(1300, 1400), zen, azi, U(1, 5)))(irradiance.perez)
    case(P, "get_extra_radiation", args(U(1, 365)))(irradiance.get_extra_radiation)
    case(P, "clearness_index", args(ghi, zen, U(1300, 1400)))(irradiance.clearness_index)
    case(P, "erbs", args(ghi, zen, U(1, 365)))(lambda g, z, d: irradiance.erbs(g, z, d)["dni"])
    case(P, "relative_airmass", args(zen))(atmosphere.get_relative_airmass)
    case(P, "relative_airmass_ks", args(zen))(
        lambda z: atmosphere.get_relative_airmass(z, model="kastenyoung1989")
    )
    case(P, "absolute_airmass", args(U(1, 5), U(8e4, 1.02e5)))(atmosphere.get_absolute_airmass)
    case(P, "alt2pres", args(U(0, 3000)))(atmosphere.alt2pres)
    case(P, "pres2alt", args(U(7e4, 1.02e5)))(atmosphere.pres2alt)
    case(P, "gueymard94_pw", args(U(-10, 35), U(10, 90)))(atmosphere.gueymard94_pw)
    case(P, "angstrom_alpha", args(U(0.1, 0.3), U(0.05, 0.2)))(
        lambda a1, a2: atmosphere.angstrom_alpha(a1, 500.0, a2, 1000.0)
    )
    case(P, "sapm_module_temp", args(ghi, U(-5, 35), U(0, 10)))(
        lambda e, t, w: temperature.sapm_module(e, t, w, -3.47, -0.0594)
    )
    case(P, "sapm_cell", args(ghi, U(-5, 35), U(0, 10)))(
        lambda e, t, w: temperature.sapm_cell(e, t, w, -3.47, -0.0594, 3)
    )
    case(P, "pvsyst_cell", args(ghi, U(-5, 35), U(0, 10)))(temperature.pvsyst_cell)
    case(P, "faiman", args(ghi, U(-5, 35), U(0, 10)))(temperature.faiman)
    case(P, "ross", args(ghi, U(-5, 35)))(lambda e, t: temperature.ross(e, t, 0.03))
    case(P, "noct_sam", args(ghi, U(-5, 35), U(0, 10)))(
        lambda e, t, w: temperature.noct_sam(e, t, w, 45.0, 0.2)
    )
    case(P, "iam_physical", args(U(0, 89)))(iam.physical)
    case(P, "iam_ashrae", args(U(0, 95)))(iam.ashrae)
    case(P, "iam_martin_ruiz", args(U(0, 95)))(iam.martin_ruiz)
    case(P, "iam_schlick", args(U(0, 95)))(iam.schlick)
    case(P, "pvwatts_dc", args(ghi, U(10, 60)))(lambda g, t: pvsystem.pvwatts_dc(g, t, 300, -0.004))
    case(P, "calcparams_desoto", args(ghi, U(10, 60)))(
        lambda g, t: pvsystem.calcparams_desoto(g, t, 0.004, 1.5, 6.0, 1e-10, 0.3, 300.0)
    )

    def singlediode(g, t):
        p = pvsystem.calcparams_desoto(g, t, 0.004, 1.5, 6.0, 1e-10, 0.3, 300.0)
        return pvsystem.singlediode(*p)["p_mp"]

    case(P, "singlediode", args(U(200, 1000), U(10, 60)))(singlediode)

    def i_from_v(v):
        return pvsystem.i_from_v(v, 6.0, 1e-10, 0.3, 300.0, 1.5 * 60 * 0.0259)

    case(P, "i_from_v", args(U(0, 30, 5)))(i_from_v)
    case(P, "declination_spencer71", args(U(1, 365)))(solarposition.declination_spencer71)
    case(P, "equation_of_time_pvcdrom", args(U(1, 365)))(solarposition.equation_of_time_pvcdrom)
    case(P, "solar_zenith_analytical", args(U(0.2, 0.8), U(-1, 1), U(-0.4, 0.4)))(
        solarposition.solar_zenith_analytical
    )


def _cases_astropy():
    import astropy.units as u
    from astropy import stats
    from astropy.coordinates import (
        angular_separation,
        cartesian_to_spherical,
        offset_by,
        position_angle,
        spherical_to_cartesian,
    )
    from astropy.modeling import models

    P = "astropy"
    case(P, "angular_separation", args(U(0, 6), U(-1, 1), U(0, 6), U(-1, 1)))(angular_separation)
    case(P, "position_angle", args(U(0, 6), U(-1, 1), U(0, 6), U(-1, 1)))(
        lambda a, b, c, d: position_angle(a, b, c, d).value
    )
    case(P, "offset_by", args(U(0, 6), U(-1, 1), U(0, 6), U(0, 0.5)))(
        lambda a, b, c, d: tuple(np.asarray(v) for v in offset_by(a, b, c, d))
    )
    case(P, "cartesian_to_spherical", args(N(3)))(
        lambda x: tuple(v.value for v in cartesian_to_spherical(x[0], x[1], x[2]))
    )
    case(P, "spherical_to_cartesian", args(U(1, 2), U(-1, 1), U(0, 6)))(
        lambda r, la, lo: tuple(np.asarray(v) for v in spherical_to_cartesian(r, la, lo))
    )
    case(P, "mad_std", args(N(20)))(stats.mad_std)
    case(P, "median_absolute_deviation", args(N(20)))(stats.median_absolute_deviation)
    case(P, "biweight_location", args(N(20)))(stats.biweight_location)
    case(P, "biweight_scale", args(N(20)))(stats.biweight_scale)
    case(P, "biweight_midvariance", args(N(20)))(stats.biweight_midvariance)
    case(P, "circmean", args(U(0, 6, 15)))(lambda x: stats.circmean(x * u.rad).value)
    case(P, "circstd", args(U(0, 6, 15)))(lambda x: stats.circstd(x * u.rad).value)
    case(P, "circvar", args(U(0, 6, 15)))(lambda x: stats.circvar(x * u.rad).value)
    case(P, "sigma_clipped_stats", args(N(30)))(lambda x: stats.sigma_clipped_stats(x))
    case(P, "sigma_clip", args(N(30)))(lambda x: stats.sigma_clip(x, sigma=2).filled(0.0))
    case(P, "poisson_conf_interval", args(I(1, 50, 3)))(
        lambda n: stats.poisson_conf_interval(n, interval="root-n")
    )
    case(P, "binom_conf_interval", args(I(1, 20, 3)))(
        lambda k: stats.binom_conf_interval(k, 20, interval="wald")
    )
    case(P, "jackknife_stats", args(N(10)))(lambda x: stats.jackknife_stats(x, np.mean)[:3])
    case(P, "gaussian1d_evaluate", args(U(-3, 3, 8), U(0.5, 2), U(-1, 1), U(0.5, 2)))(
        models.Gaussian1D.evaluate
    )
    case(P, "lorentz1d_evaluate", args(U(-3, 3, 8), U(0.5, 2), U(-1, 1), U(0.5, 2)))(
        models.Lorentz1D.evaluate
    )
    case(P, "quantity_to_km", args(U(0, 1e4, 3)))(lambda x: (x * u.m).to(u.km).value)
    case(P, "quantity_temperature", args(U(-10, 40, 3)))(
        lambda t: (t * u.deg_C).to(u.K, equivalencies=u.temperature()).value
    )

    import erfa

    case(P, "erfa_s2c", args(U(0, 6), U(-1, 1)))(erfa.s2c)
    case(P, "erfa_c2s", args(N(3)))(erfa.c2s)
    case(P, "erfa_seps", args(U(0, 6), U(-1, 1), U(0, 6), U(-1, 1)))(erfa.seps)


def _cases_filterpy():
    from filterpy import stats as fstats
    from filterpy.common import Q_discrete_white_noise
    from filterpy.kalman import (
        KalmanFilter,
        MerweScaledSigmaPoints,
        predict,
        unscented_transform,
        update,
    )

    P = "filterpy"
    F = np.array([[1.0, 1.0], [0.0, 1.0]])
    H = np.array([[1.0, 0.0]])
    case(P, "predict", args(N(2), SPD(2)))(lambda x, Pm: predict(x, Pm, F, np.eye(2) * 0.01))
    case(P, "update", args(N(2), SPD(2), N(1)))(lambda x, Pm, z: update(x, Pm, z, 0.5, H))
    case(P, "Q_discrete_white_noise", args(U(0.1, 1), U(0.01, 1)))(
        lambda dt, var: Q_discrete_white_noise(2, dt, var)
    )

    def kf_run(zs, r):
        kf = KalmanFilter(dim_x=2, dim_z=1)
        kf.F = F.copy()
        kf.H = H.copy()
        kf.R *= r
        kf.Q = np.eye(2) * 0.01
        for z in zs:
            kf.predict()
            kf.update(z)
        return kf.x

    case(P, "KalmanFilter_run", args(N(6), U(0.1, 2)))(kf_run)

    def kf_batch(zs):
        kf = KalmanFilter(dim_x=2, dim_z=1)
        kf.F, kf.H = F.copy(), H.copy()
        means, covs, _, _ = kf.batch_filter(zs)
        return means

    case(P, "KalmanFilter_batch_filter", args(N(5)))(kf_batch)

    def rts(zs):
        kf = KalmanFilter(dim_x=2, dim_z=1)
        kf.F, kf.H = F.copy(), H.copy()
        mu, cov, _, _ = kf.batch_filter(zs)
        return kf.rts_smoother(mu, cov)[0]

    case(P, "rts_smoother", args(N(5)))(rts)

    def sigma(x, Pm):
        return MerweScaledSigmaPoints(2, alpha=0.1, beta=2.0, kappa=1.0).sigma_points(x, Pm)

    case(P, "merwe_sigma_points", args(N(2), SPD(2)))(sigma)

    def ut(x, Pm):
        pts = MerweScaledSigmaPoints(2, alpha=0.1, beta=2.0, kappa=1.0)
        s = pts.sigma_points(x, Pm)
        return unscented_transform(np.sin(s), pts.Wm, pts.Wc)

    case(P, "unscented_transform", args(N(2), SPD(2)))(ut)
    case(P, "gaussian", args(U(-2, 2, 4), U(-1, 1), U(0.5, 2)))(fstats.gaussian)
    case(P, "mul", args(U(-1, 1), U(0.5, 2), U(-1, 1), U(0.5, 2)))(fstats.mul)
    case(P, "add", args(U(-1, 1), U(0.5, 2), U(-1, 1), U(0.5, 2)))(fstats.add)
    case(P, "multivariate_gaussian", args(N(2), N(2), SPD(2)))(fstats.multivariate_gaussian)
    case(P, "logpdf", args(N(2), N(2), SPD(2)))(fstats.logpdf)
    case(P, "mahalanobis", args(N(2), N(2), SPD(2)))(fstats.mahalanobis)
    case(P, "covariance_ellipse", args(SPD(2)))(fstats.covariance_ellipse)
    case(P, "norm_cdf", args(U(-1, 0), U(0, 1), U(-0.5, 0.5), U(0.5, 2)))(
        lambda a, b, m, v: fstats.norm_cdf((a, b), m, v)
    )

    from filterpy import discrete_bayes

    case(P, "discrete_bayes_normalize", args(U(0, 1, 10)))(
        lambda p: discrete_bayes.normalize(p.copy())
    )
    case(P, "discrete_bayes_update", args(U(0, 1, 10), U(0.1, 1, 10)))(discrete_bayes.update)
    case(P, "discrete_bayes_predict", args(U(0, 1, 10)))(
        lambda p: discrete_bayes.predict(p, 1, np.array([0.1, 0.8, 0.1]))
    )


def _cases_pymap3d():
    import pymap3d as pm
    from pymap3d import latitude, lox, vincenty
    from pymap3d.haversine import anglesep

    P = "pymap3d"
    lat, lon, alt = U(-80, 80), U(-170, 170), U(0, 2000)
    e, n, up = U(-1e4, 1e4), U(-1e4, 1e4), U(0, 1e3)
    az, el, srange = U(0, 360), U(5, 85), U(100, 1e5)
    x, y, z = U(3e6, 4e6), U(3e6, 4e6), U(3e6, 4e6)
    case(P, "geodetic2ecef", args(lat, lon, alt))(pm.geodetic2ecef)
    case(P, "ecef2geodetic", args(x, y, z))(pm.ecef2geodetic)
    case(P, "geodetic2enu", args(lat, lon, alt, lat, lon, alt))(pm.geodetic2enu)
    case(P, "enu2geodetic", args(e, n, up, lat, lon, alt))(pm.enu2geodetic)
    case(P, "geodetic2aer", args(lat, lon, alt, lat, lon, alt))(pm.geodetic2aer)
    case(P, "aer2geodetic", args(az, el, srange, lat, lon, alt))(pm.aer2geodetic)
    case(P, "ecef2enu", args(x, y, z, lat, lon, alt))(pm.ecef2enu)
    case(P, "enu2ecef", args(e, n, up, lat, lon, alt))(pm.enu2ecef)
    case(P, "aer2enu", args(az, el, srange))(pm.aer2enu)
    case(P, "enu2aer", args(e, n, up))(pm.enu2aer)
    case(P, "geodetic2ned", args(lat, lon, alt, lat, lon, alt))(pm.geodetic2ned)
    case(P, "ned2geodetic", args(n, e, up, lat, lon, alt))(pm.ned2geodetic)
    case(P, "ecef2aer", args(x, y, z, lat, lon, alt))(pm.ecef2aer)
    case(P, "aer2ecef", args(az, el, srange, lat, lon, alt))(pm.aer2ecef)
    case(P, "enu2uvw", args(e, n, up, lat, lon))(pm.enu2uvw)
    case(P, "uvw2enu", args(e, n, up, lat, lon))(pm.uvw2enu)
    case(P, "vdist", args(lat, lon, lat, lon))(vincenty.vdist)
    case(P, "vreckon", args(lat, lon, U(1e3, 1e6), az))(vincenty.vreckon)
    case(P, "loxodrome_inverse", args(lat, lon, lat, lon))(lox.loxodrome_inverse)
    case(P, "loxodrome_direct", args(lat, lon, U(1e3, 1e6), az))(lox.loxodrome_direct)
    case(P, "meridian_arc", args(lat, lat))(lox.meridian_arc)
    case(P, "geodetic2isometric", args(lat))(latitude.geodetic2isometric)
    case(P, "geodetic2conformal", args(lat))(latitude.geodetic2conformal)
    case(P, "geodetic2rectifying", args(lat))(latitude.geodetic2rectifying)
    case(P, "geodetic2authalic", args(lat))(latitude.geodetic2authalic)
    case(P, "geodetic2parametric", args(lat))(latitude.geodetic2parametric)
    case(P, "geodetic2geocentric", args(lat, alt))(latitude.geodetic2geocentric)
    case(P, "geocentric2geodetic", args(lat, alt))(latitude.geocentric2geodetic)
    case(P, "haversine", args(U(0, 3), U(-1, 1), U(0, 3), U(-1, 1)))(
        lambda a, b, c, d: anglesep(a, b, c, d, deg=False)
    )


def _cases_skyfield():
    from skyfield import earthlib, functions
    from skyfield.units import Angle, Distance

    P = "skyfield"
    case(P, "length_of", args(N(3)))(functions.length_of)
    case(P, "angle_between", args(N(3), N(3)))(functions.angle_between)
    case(P, "to_spherical", args(N(3)))(functions.to_spherical)
    case(P, "from_spherical", args(U(1, 2), U(-1, 1), U(0, 6)))(functions.from_spherical)
    case(P, "rot_z", args(U(0, 6)))(functions.rot_z)
    case(P, "rot_x", args(U(0, 6)))(functions.rot_x)
    case(P, "mxv", args(N(3, 3), N(3)))(functions.mxv)
    case(P, "mxm", args(N(3, 3), N(3, 3)))(functions.mxm)
    case(P, "refraction", args(U(0, 80), U(-10, 30), U(900, 1030)))(earthlib.refraction)
    case(P, "refract", args(U(0, 80), U(-10, 30), U(900, 1030)))(earthlib.refract)
    case(P, "Angle.dstr_free", args(U(0, 6)))(lambda r: Angle(radians=r).degrees)
    case(P, "Angle.hours", args(U(0, 6)))(lambda r: Angle(radians=r).hours)
    case(P, "Distance.km", args(U(0.5, 2, 3)))(lambda au: Distance(au=au).km)

    from skyfield.api import load

    ts = load.timescale(builtin=True)
    case(P, "timescale_tt_jd", args(U(2451545, 2461545)))(lambda jd: ts.tt_jd(jd).tdb)
    case(P, "timescale_gmst", args(U(2451545, 2461545)))(lambda jd: ts.tt_jd(jd).gmst)


def _cases_scipy():
    from scipy import fft, integrate, interpolate, linalg, ndimage, optimize, signal, special
    from scipy import stats as sstats
    from scipy.spatial import distance

    P = "scipy"
    for nm in ("gamma", "erf", "expit", "logit", "j0", "ndtr", "log_ndtr", "gammaln"):
        lo = 0.05 if nm in ("gamma", "gammaln", "logit") else -2
        hi = 0.95 if nm == "logit" else 3
        case(P, f"special.{nm}", args(U(lo, hi, 4)))(getattr(special, nm))
    case(P, "special.xlogy", args(U(0, 2, 4), U(0.1, 2, 4)))(special.xlogy)
    case(P, "special.logsumexp", args(N(6)))(special.logsumexp)
    case(P, "special.softmax", args(N(6)))(special.softmax)
    case(P, "special.betainc", args(U(0.5, 3), U(0.5, 3), U(0, 1, 4)))(special.betainc)
    case(P, "stats.norm.pdf", args(N(5), U(0.5, 2)))(lambda x, s: sstats.norm.pdf(x, scale=s))
    case(P, "stats.norm.cdf", args(N(5)))(sstats.norm.cdf)
    case(P, "stats.t.logpdf", args(N(5), U(2, 10)))(lambda x, df: sstats.t.logpdf(x, df))
    case(P, "stats.zscore", args(N(10)))(sstats.zscore)
    case(P, "stats.skew", args(N(10)))(sstats.skew)
    case(P, "stats.kurtosis", args(N(10)))(sstats.kurtosis)
    case(P, "stats.sem", args(N(10)))(sstats.sem)
    case(P, "stats.gmean", args(U(0.5, 3, 10)))(sstats.gmean)
    case(P, "stats.hmean", args(U(0.5, 3, 10)))(sstats.hmean)
    case(P, "stats.iqr", args(N(10)))(sstats.iqr)
    case(P, "stats.entropy", args(U(0.1, 1, 6)))(sstats.entropy)
    case(P, "stats.rankdata", args(N(8)))(sstats.rankdata)
    case(P, "stats.pearsonr", args(N(10), N(10)))(lambda a, b: sstats.pearsonr(a, b)[0])
    case(P, "stats.spearmanr", args(N(10), N(10)))(lambda a, b: sstats.spearmanr(a, b)[0])
    case(P, "stats.linregress", args(N(10), N(10)))(lambda a, b: tuple(sstats.linregress(a, b))[:2])
    case(P, "stats.ttest_1samp", args(N(10)))(lambda a: sstats.ttest_1samp(a, 0.0).statistic)
    case(P, "stats.describe", args(N(10)))(lambda a: sstats.describe(a).variance)
    case(P, "signal.lfilter", args(N(16)))(lambda x: signal.lfilter([0.2, 0.3], [1.0, -0.5], x))
    case(P, "signal.savgol_filter", args(N(16)))(lambda x: signal.savgol_filter(x, 5, 2))
    case(P, "signal.detrend", args(N(16)))(signal.detrend)
    case(P, "signal.medfilt", args(N(16)))(signal.medfilt)
    case(P, "signal.convolve", args(N(16), N(4)))(signal.convolve)
    case(P, "signal.fftconvolve", args(N(16), N(4)))(signal.fftconvolve)
    case(P, "signal.correlate", args(N(16), N(4)))(lambda a, b: signal.correlate(a, b, "same"))
    case(P, "signal.periodogram", args(N(16)))(lambda x: signal.periodogram(x)[1])
    case(P, "signal.welch", args(N(64)))(lambda x: signal.welch(x, nperseg=16)[1])
    case(P, "signal.hilbert", args(N(16)))(signal.hilbert)
    case(P, "signal.find_peaks_count", args(N(20)))(lambda x: len(signal.find_peaks(x)[0]))
    case(P, "signal.filtfilt", args(N(32)))(lambda x: signal.filtfilt([0.2, 0.3], [1.0, -0.5], x))
    case(P, "linalg.expm", args(N(3, 3, scale=0.3)))(linalg.expm)
    case(P, "linalg.solve", args(SPD(3), N(3)))(linalg.solve)
    case(P, "linalg.cholesky", args(SPD(3)))(lambda a: linalg.cholesky(a, lower=True))
    case(P, "linalg.inv", args(SPD(3)))(linalg.inv)
    case(P, "linalg.det", args(N(3, 3)))(linalg.det)
    case(P, "linalg.norm", args(N(3, 3)))(linalg.norm)
    case(P, "linalg.eigh", args(SPD(3)))(lambda a: linalg.eigh(a)[0])
    case(P, "linalg.svdvals", args(N(4, 3)))(linalg.svdvals)
    case(P, "linalg.sqrtm", args(SPD(3)))(linalg.sqrtm, rtol=1e-5)
    case(P, "linalg.solve_triangular", args(SPD(3), N(3)))(
        lambda a, b: linalg.solve_triangular(np.tril(a), b, lower=True)
    )
    case(P, "linalg.lstsq", args(N(5, 2), N(5)))(lambda a, b: linalg.lstsq(a, b)[0])
    case(P, "linalg.toeplitz", args(N(4)))(linalg.toeplitz)
    case(P, "linalg.cho_solve", args(SPD(3), N(3)))(
        lambda a, b: linalg.cho_solve(linalg.cho_factor(a), b)
    )
    case(P, "integrate.trapezoid", args(N(10)))(integrate.trapezoid)
    case(P, "integrate.simpson", args(N(11)))(integrate.simpson)
    case(P, "integrate.cumulative_trapezoid", args(N(10)))(integrate.cumulative_trapezoid)
    case(P, "integrate.quad", args(U(0.5, 2)))(
        lambda k: integrate.quad(lambda t: np.exp(-k * t), 0, 1)[0]
    )

    def ivp(k):
        return integrate.solve_ivp(lambda t, y: -k * y, (0, 1), [1.0], t_eval=[0.5, 1.0]).y[0]

    case(P, "integrate.solve_ivp", args(U(0.5, 2)))(ivp, rtol=1e-4)
    xs = np.linspace(0, 1, 8)
    case(P, "interpolate.interp1d", args(N(8), U(0, 1, 3)))(
        lambda y, q: interpolate.interp1d(xs, y)(q)
    )
    case(P, "interpolate.CubicSpline", args(N(8), U(0, 1, 3)))(
        lambda y, q: interpolate.CubicSpline(xs, y)(q)
    )
    case(P, "interpolate.make_interp_spline", args(N(8), U(0, 1, 3)))(
        lambda y, q: interpolate.make_interp_spline(xs, y)(q)
    )
    case(P, "interpolate.PchipInterpolator", args(N(8), U(0, 1, 3)))(
        lambda y, q: interpolate.PchipInterpolator(xs, y)(q)
    )
    case(P, "optimize.brentq", args(U(1, 4)))(lambda a: optimize.brentq(lambda x: x * x - a, 0, 3))
    case(P, "optimize.newton", args(U(1, 4)))(lambda a: optimize.newton(lambda x: x * x - a, 1.0))
    case(P, "optimize.minimize_scalar", args(U(-2, 2)))(
        lambda c: optimize.minimize_scalar(lambda x: (x - c) ** 2).x, rtol=1e-4
    )
    case(P, "optimize.minimize", args(N(2)))(
        lambda c: optimize.minimize(lambda x: np.sum((x - c) ** 2), np.zeros(2)).x, rtol=1e-4
    )
    t10 = np.linspace(0, 1, 10)
    line = lambda x, a, b: a * x + b  # noqa: E731
    case(P, "optimize.curve_fit", args(N(10, scale=0.01)))(
        lambda noise: optimize.curve_fit(line, t10, 2 * t10 + 1 + noise)[0], rtol=1e-4
    )
    case(P, "optimize.linear_sum_assignment", args(U(0, 1, 4, 4)))(
        lambda c: optimize.linear_sum_assignment(c)[1]
    )
    case(P, "spatial.pdist", args(N(5, 2)))(distance.pdist)
    case(P, "spatial.cdist", args(N(4, 2), N(3, 2)))(distance.cdist)
    case(P, "spatial.euclidean", args(N(3), N(3)))(distance.euclidean)
    case(P, "spatial.cosine", args(N(3), N(3)))(distance.cosine)
    case(P, "spatial.mahalanobis", args(N(2), N(2), SPD(2)))(distance.mahalanobis)
    case(P, "ndimage.gaussian_filter", args(N(8, 8)))(lambda a: ndimage.gaussian_filter(a, 1.0))
    case(P, "ndimage.uniform_filter", args(N(8, 8)))(lambda a: ndimage.uniform_filter(a, 3))
    case(P, "ndimage.median_filter", args(N(8, 8)))(lambda a: ndimage.median_filter(a, 3))
    case(P, "ndimage.sobel", args(N(8, 8)))(ndimage.sobel)
    case(P, "ndimage.zoom", args(N(6, 6)))(lambda a: ndimage.zoom(a, 2, order=1))
    case(P, "ndimage.shift", args(N(8, 8)))(lambda a: ndimage.shift(a, (0.5, 1.0), order=1))
    case(P, "ndimage.label_count", args(U(0, 1, 8, 8)))(lambda a: ndimage.label(a > 0.6)[1])
    case(P, "ndimage.center_of_mass", args(U(0, 1, 8, 8)))(ndimage.center_of_mass)
    case(P, "fft.fft", args(N(8)))(fft.fft)
    case(P, "fft.rfft", args(N(8)))(fft.rfft)
    case(P, "fft.dct", args(N(8)))(fft.dct)
    case(P, "fft.idct", args(N(8)))(lambda x: fft.idct(x, norm="ortho"))


def _cases_sklearn():
    from sklearn import metrics, preprocessing
    from sklearn.covariance import empirical_covariance, ledoit_wolf
    from sklearn.decomposition import PCA
    from sklearn.isotonic import isotonic_regression
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.metrics import pairwise
    from sklearn.utils import extmath

    P = "sklearn"
    yt, yp = N(10), N(10)
    case(P, "mean_squared_error", args(yt, yp))(metrics.mean_squared_error)
    case(P, "mean_absolute_error", args(yt, yp))(metrics.mean_absolute_error)
    case(P, "r2_score", args(yt, yp))(metrics.r2_score)
    case(P, "explained_variance_score", args(yt, yp))(metrics.explained_variance_score)
    case(P, "median_absolute_error", args(yt, yp))(metrics.median_absolute_error)
    case(P, "accuracy_score", args(I(0, 3, 12), I(0, 3, 12)))(metrics.accuracy_score)
    case(P, "log_loss", args(I(0, 2, 12), U(0.05, 0.95, 12)))(
        lambda y, p: metrics.log_loss(y, p, labels=[0, 1])
    )
    case(P, "roc_auc_score", args(U(0, 1, 12)))(
        lambda s: metrics.roc_auc_score(np.arange(12) % 2, s)
    )
    case(P, "f1_score", args(I(0, 2, 12), I(0, 2, 12)))(
        lambda a, b: metrics.f1_score(a, b, zero_division=0)
    )
    case(P, "confusion_matrix", args(I(0, 3, 12), I(0, 3, 12)))(
        lambda a, b: metrics.confusion_matrix(a, b, labels=[0, 1, 2])
    )
    case(P, "euclidean_distances", args(N(4, 3), N(5, 3)))(pairwise.euclidean_distances)
    case(P, "rbf_kernel", args(N(4, 3)))(pairwise.rbf_kernel)
    case(P, "cosine_similarity", args(N(4, 3)))(pairwise.cosine_similarity)
    case(P, "pairwise_distances", args(N(4, 3)))(pairwise.pairwise_distances)
    case(P, "scale", args(N(6, 2)))(preprocessing.scale)
    case(P, "normalize", args(N(6, 2)))(preprocessing.normalize)
    case(P, "minmax_scale", args(N(6, 2)))(preprocessing.minmax_scale)
    case(P, "StandardScaler", args(N(6, 2)))(
        lambda x: preprocessing.StandardScaler().fit_transform(x)
    )
    case(P, "LinearRegression", args(N(8, 2), N(8)))(
        lambda X, y: LinearRegression().fit(X, y).coef_
    )
    case(P, "Ridge", args(N(8, 2), N(8)))(lambda X, y: Ridge(alpha=0.5).fit(X, y).coef_)
    case(P, "PCA", args(N(8, 3)))(lambda X: np.abs(PCA(2).fit(X).explained_variance_ratio_))
    case(P, "softmax", args(N(3, 4)))(lambda x: extmath.softmax(x.copy()))
    case(P, "row_norms", args(N(3, 4)))(extmath.row_norms)
    case(P, "empirical_covariance", args(N(8, 2)))(empirical_covariance)
    case(P, "ledoit_wolf", args(N(8, 2)))(lambda X: ledoit_wolf(X)[0])
    case(P, "isotonic_regression", args(N(8)))(isotonic_regression)


def _cases_skimage():
    from skimage import color, exposure, filters, measure, metrics, transform, util

    P = "skimage"
    rgb = U(0, 1, 6, 6, 3)
    img = U(0, 1, 8, 8)
    case(P, "rgb2gray", args(rgb))(color.rgb2gray)
    case(P, "rgb2hsv", args(rgb))(color.rgb2hsv)
    case(P, "hsv2rgb", args(rgb))(color.hsv2rgb)
    case(P, "rgb2lab", args(rgb))(color.rgb2lab)
    case(P, "lab2rgb", args(U(20, 80, 6, 6, 3)))(color.lab2rgb)
    case(P, "rgb2xyz", args(rgb))(color.rgb2xyz)
    case(P, "rgb2ycbcr", args(rgb))(color.rgb2ycbcr)
    case(P, "deltaE_cie76", args(U(0, 80, 4, 3), U(0, 80, 4, 3)))(color.deltaE_cie76)
    case(P, "deltaE_ciede2000", args(U(0, 80, 4, 3), U(0, 80, 4, 3)))(color.deltaE_ciede2000)
    case(P, "rescale_intensity", args(img))(exposure.rescale_intensity)
    case(P, "adjust_gamma", args(img))(lambda a: exposure.adjust_gamma(a, 2.0))
    case(P, "adjust_log", args(img))(exposure.adjust_log)
    case(P, "adjust_sigmoid", args(img))(exposure.adjust_sigmoid)
    case(P, "equalize_hist", args(img))(exposure.equalize_hist)
    case(P, "sobel", args(img))(filters.sobel)
    case(P, "gaussian", args(img))(lambda a: filters.gaussian(a, sigma=1))
    case(P, "threshold_otsu", args(img))(filters.threshold_otsu)
    case(P, "threshold_li", args(img))(filters.threshold_li)
    case(P, "threshold_mean", args(img))(filters.threshold_mean)
    case(P, "resize", args(img))(lambda a: transform.resize(a, (4, 4)))
    case(P, "rotate", args(img))(lambda a: transform.rotate(a, 30))
    case(P, "moments", args(img))(measure.moments)
    case(P, "moments_central", args(img))(measure.moments_central)
    case(P, "shannon_entropy", args(I(0, 8, 8, 8)))(measure.shannon_entropy)
    case(P, "mean_squared_error", args(img, img))(metrics.mean_squared_error)
    case(P, "peak_signal_noise_ratio", args(img, img))(
        lambda a, b: metrics.peak_signal_noise_ratio(a, b, data_range=1.0)
    )
    case(P, "structural_similarity", args(U(0, 1, 16, 16), U(0, 1, 16, 16)))(
        lambda a, b: metrics.structural_similarity(a, b, data_range=1.0)
    )
    case(P, "img_as_ubyte", args(img))(util.img_as_ubyte)
    case(P, "img_as_float32", args(img))(util.img_as_float32)


def _cases_colour():
    import colour

    P = "colour"
    xyz, lab = U(0.05, 0.9, 3), U(5, 90, 3)
    rgb = U(0.01, 1, 3)
    case(P, "XYZ_to_Lab", args(xyz))(colour.XYZ_to_Lab)
    case(P, "Lab_to_XYZ", args(lab))(colour.Lab_to_XYZ)
    case(P, "XYZ_to_xyY", args(xyz))(colour.XYZ_to_xyY)
    case(P, "xyY_to_XYZ", args(U(0.2, 0.5, 3)))(colour.xyY_to_XYZ)
    case(P, "XYZ_to_xy", args(xyz))(colour.XYZ_to_xy)
    case(P, "XYZ_to_sRGB", args(xyz))(colour.XYZ_to_sRGB)
    case(P, "sRGB_to_XYZ", args(rgb))(colour.sRGB_to_XYZ)
    case(P, "XYZ_to_Luv", args(xyz))(colour.XYZ_to_Luv)
    case(P, "Lab_to_LCHab", args(lab))(colour.Lab_to_LCHab)
    case(P, "delta_E_CIE2000", args(lab, lab))(lambda a, b: colour.delta_E(a, b, method="CIE 2000"))
    case(P, "delta_E_CIE1976", args(lab, lab))(lambda a, b: colour.delta_E(a, b, method="CIE 1976"))
    case(P, "delta_E_CAM16", args(lab, lab))(lambda a, b: colour.delta_E(a, b, method="CIE 1994"))
    case(P, "RGB_to_HSV", args(rgb))(colour.RGB_to_HSV)
    case(P, "HSV_to_RGB", args(rgb))(colour.HSV_to_RGB)
    case(P, "RGB_to_HSL", args(rgb))(colour.RGB_to_HSL)
    case(P, "cctf_encoding", args(rgb))(colour.cctf_encoding)
    case(P, "cctf_decoding", args(rgb))(colour.cctf_decoding)
    case(P, "luminance", args(U(0, 100)))(colour.luminance)
    case(P, "lightness", args(U(0, 100)))(colour.lightness)
    case(P, "xy_to_CCT", args(U(0.3, 0.35, 2)))(colour.xy_to_CCT)
    case(P, "CCT_to_xy", args(U(4000, 9000)))(
        lambda t: colour.CCT_to_xy(t, method="CIE Illuminant D Series")
    )
    case(P, "chromatic_adaptation", args(xyz))(
        lambda x: colour.chromatic_adaptation(
            x, np.array([0.95, 1.0, 1.09]), np.array([0.96, 1.0, 0.82])
        )
    )
    case(P, "XYZ_to_RGB", args(xyz))(lambda x: colour.XYZ_to_RGB(x, "sRGB"))
    case(P, "RGB_to_RGB", args(rgb))(lambda x: colour.RGB_to_RGB(x, "sRGB", "Display P3"))
    case(P, "whiteness", args(xyz))(lambda x: colour.whiteness(x, np.array([0.95, 1.0, 1.09])))
    case(P, "XYZ_to_CAM16", args(xyz))(
        lambda x: colour.XYZ_to_CAM16(x * 100, np.array([95.05, 100.0, 108.88]), 318.31, 20.0).J
    )
    case(P, "dot_vector", args(N(3)))(lambda v: colour.algebra.vecmul(np.eye(3) * 2, v))
    case(P, "wavelength_to_XYZ", args(U(400, 700)))(colour.wavelength_to_XYZ)


def _cases_edges():
    """Real functions where one example of the batch takes another path than the others:
    a branch, a lane that raises (the loop raises it; vmap must raise the same type), a NaN,
    a degenerate input."""
    import numpy_financial as npf
    import pymap3d as pm
    from filterpy.kalman import update
    from pymap3d import vincenty
    from scipy import linalg, optimize, stats
    from skimage import filters
    from sklearn import metrics
    from skyfield import functions

    P = "edges"
    lat, lon, alt = U(-80, 80), U(-170, 170), U(0, 2000)
    case(
        P, "ecef2geodetic_pole", args(EDGE(U(3e6, 4e6), 0.0), EDGE(U(3e6, 4e6), 0.0), U(6e6, 7e6))
    )(pm.ecef2geodetic)
    case(
        P,
        "ecef2geodetic_origin",
        args(EDGE(U(3e6, 4e6), 0.0), EDGE(U(3e6, 4e6), 0.0), EDGE(U(3e6, 4e6), 0.0)),
    )(pm.ecef2geodetic)
    case(
        P,
        "vdist_same_point",
        args(EDGE(lat, 10.0), EDGE(lon, 20.0), EDGE(lat, 10.0), EDGE(lon, 20.0)),
    )(vincenty.vdist)
    case(
        P, "vdist_antipodal", args(EDGE(lat, 0.0), EDGE(lon, 0.0), EDGE(lat, 0.0), EDGE(lon, 179.7))
    )(vincenty.vdist)
    case(P, "geodetic2aer_below", args(lat, lon, EDGE(alt, -5e5), lat, lon, alt))(pm.geodetic2aer)
    case(P, "filterpy_update_singular", args(N(2), EDGE(SPD(2), np.zeros((2, 2))), N(1)))(
        lambda x, Pm, z: update(x, Pm, z, 0.0, np.array([[1.0, 0.0]]))
    )
    case(P, "cholesky_not_pd", args(EDGE(SPD(3), -np.eye(3))))(np.linalg.cholesky)
    case(P, "scipy_cholesky_not_pd", args(EDGE(SPD(3), -np.eye(3))))(linalg.cholesky)
    case(P, "inv_singular", args(EDGE(SPD(3), np.ones((3, 3)))))(np.linalg.inv)

    def inv_or_pinv(a):
        try:
            return np.linalg.inv(a)
        except np.linalg.LinAlgError:
            return np.linalg.pinv(a)

    case(P, "try_inv_except_pinv", args(EDGE(SPD(3), np.ones((3, 3)))))(inv_or_pinv)
    case(P, "brentq_no_sign_change", args(EDGE(U(1, 4), -1.0)))(
        lambda a: optimize.brentq(lambda x: x * x - a, 0, 3)
    )

    def brentq_or_nan(a):
        try:
            return optimize.brentq(lambda x: x * x - a, 0, 3)
        except ValueError:
            return np.nan

    case(P, "brentq_try_except", args(EDGE(U(1, 4), -1.0)))(brentq_or_nan)
    case(P, "newton_per_lane_iterations", args(EDGE(U(1, 4), 1e6)))(
        lambda a: optimize.newton(lambda x: x * x - a, 1.0, maxiter=100)
    )
    case(P, "pearsonr_constant", args(N(10), EDGE(N(10), np.ones(10))))(
        lambda a, b: stats.pearsonr(a, b)[0]
    )
    case(P, "r2_constant_truth", args(EDGE(N(10), np.ones(10)), N(10)))(metrics.r2_score)
    case(P, "threshold_otsu_constant", args(EDGE(U(0, 1, 8, 8), np.full((8, 8), 0.5))))(
        filters.threshold_otsu
    )
    case(P, "angle_between_zero", args(EDGE(N(3), np.zeros(3)), N(3)))(functions.angle_between)
    case(P, "npf_irr_no_root", args(EDGE(U(100, 400, 5), -np.ones(5))))(
        lambda cf: npf.irr(np.concatenate([[-1000.0], cf]))
    )
    case(P, "npf_rate_no_convergence", args(I(12, 60), EDGE(U(-500, -200), 500.0), U(5e3, 1e4)))(
        lambda n, pmt, pv: npf.rate(n, pmt, pv, 0)
    )
    case(P, "npf_nper_zero_rate", args(EDGE(U(0.01, 0.1), 0.0), U(-2000, -500), U(1e4, 5e4)))(
        lambda r, pmt, pv: npf.nper(r / 12, pmt, pv)
    )
    case(P, "stats_zscore_constant", args(EDGE(N(8), np.ones(8))))(stats.zscore)
    case(P, "log_domain_nan", args(EDGE(U(0.5, 2, 4), -1.0)))(np.log)

    def python_loop_divergence(x):
        total, steps = 0.0, 0
        while total < 5.0 and steps < 50:
            total += float(np.abs(x).sum())
            steps += 1
        return np.array([total, steps])

    case(P, "python_while_per_lane", args(EDGE(U(0.1, 2, 3), 1e-3)))(python_loop_divergence)

    def fill_buffer(x):
        out = np.zeros(len(x))
        for i in range(len(x)):
            out[i] = x[i] ** 2 if x[i] > 0 else -x[i]
        return out

    case(P, "buffer_filled_in_python_loop", args(N(5)))(fill_buffer)

    def asarray_prologue(x, y):
        x = np.asarray(x, dtype=float)
        y = np.atleast_1d(np.asarray(y))
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError("shapes")
        return float(np.dot(x, y)) if np.all(np.isfinite(x)) else np.nan

    case(P, "library_prologue_float", args(EDGE(N(4), np.nan), N(4)))(asarray_prologue)

    def early_return(x):
        if x.sum() < 0:
            return -x
        if np.any(x > 1.5):
            return np.clip(x, 0, 1.5)
        return x * 2

    case(P, "early_returns", args(N(4)))(early_return)
    case(P, "assert_per_lane", args(EDGE(U(0, 1, 3), -1.0)))(_assert_positive)


def _assert_positive(x):
    assert np.all(x >= 0), "negative"
    return np.sqrt(x)


if __name__ == "__main__":
    sys.exit(main())
