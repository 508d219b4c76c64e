"""Run data-apis/array-api-tests on NumPy, on ``autovec.numpy`` and under vmap, and compare.

    python tools/run_array_api_tests.py /path/to/array-api-tests [--max-examples 20]
        [--targets numpy autovec vmap] [--out DIR] [-- extra pytest arguments]

The suite is a checkout of https://github.com/data-apis/array-api-tests with its ``array-api``
submodule (the spec stubs) in place, and needs ``pytest``, ``hypothesis`` and ``ndindex``.
Each target runs the whole suite once (derandomized) and writes ``DIR/<target>.xml``; then
the script reruns each test that NumPy passed and the target failed, once on the target and
three times on NumPy (NumPy's own results on some special cases vary between runs), and prints
the counts and the tests that NumPy passes every time and the target still fails.

Targets: ``numpy`` (the baseline), ``autovec`` (``autovec.numpy`` eagerly), ``vmap``
(``tools/array_api_vmap.py``: every call inside ``autovec.vmap``, each lane checked against
the loop). Under vmap, the tests the suite marks as data-dependent shapes are left out
(``--disable-data-dependent-shapes``), as ``capabilities()`` inside vmap says; other failures
whose error is ``DataDependentShapeError`` (``repeat`` with array repeats, which the standard
lets such libraries refuse) are listed apart. Hypothesis does not shrink failing examples
(``tools/array_api_fast_fail.py``): a failure costs seconds; rerun one test without
``-p tools.array_api_fast_fail`` for the minimal example.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODULES = {"numpy": "numpy", "autovec": "autovec.numpy", "vmap": "tools.array_api_vmap"}
EXTRA_ARGS = {"vmap": ["--disable-data-dependent-shapes"]}
# NumPy's own result on a few special cases varies between runs (hypothesis draws -0.0 in
# some runs only): a test counts as one NumPy passes when it passes in each of these reruns.
RECHECKS = 3


def run(suite: Path, target: str, args: list[str], xml: Path, tests: list[str] | None) -> None:
    env = dict(os.environ, ARRAY_API_TESTS_MODULE=MODULES[target])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [sys.executable, "-m", "pytest", *(tests or ["array_api_tests"]), "-q", "-p"]
    cmd += ["no:cacheprovider", "-p", "tools.array_api_fast_fail", "--tb=short"]
    cmd += ["--derandomize", "--disable-deadline", f"--junitxml={xml}"]
    cmd += [*EXTRA_ARGS.get(target, []), *args]
    subprocess.run(cmd, cwd=suite, env=env, stdout=subprocess.DEVNULL, check=False)


def outcomes(xml: Path) -> dict[str, str]:
    """Test id (``file.py::name[param]``) -> passed / failed / skipped, or "dds" for a
    failure by ``DataDependentShapeError``."""
    result = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        path = case.get("classname", "").replace(".", "/")
        module, _, cls = path.partition("/Test")
        node = f"{module}.py::" + (f"Test{cls}::" if cls else "") + case.get("name", "")
        kinds = {child.tag for child in case}
        text = " ".join((c.get("message") or "") + (c.text or "") for c in case)
        if kinds & {"failure", "error"}:
            result[node] = "dds" if "DataDependentShapeError" in text else "failed"
        else:
            result[node] = "skipped" if "skipped" in kinds else "passed"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("suite", type=Path, help="the array-api-tests checkout")
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--targets", nargs="+", default=["numpy", "autovec", "vmap"])
    parser.add_argument("--out", type=Path, default=Path("array-api-tests-results"))
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments")
    opts = parser.parse_args()
    opts.out.mkdir(parents=True, exist_ok=True)
    args = [f"--max-examples={opts.max_examples}", *opts.pytest_args]
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=opts.suite, capture_output=True, text=True
    ).stdout.strip()
    print(f"array-api-tests {commit}, --max-examples={opts.max_examples}")
    results = {}
    for target in ["numpy"] + [t for t in opts.targets if t != "numpy"]:
        xml = opts.out / f"{target}.xml"
        run(opts.suite, target, args, xml, None)
        results[target] = outcomes(xml)
        values = list(results[target].values())
        counts = {k: values.count(k) for k in ("passed", "failed", "dds", "skipped")}
        print(f"{target:8} {counts}")
    baseline = results["numpy"]
    for target in opts.targets:
        if target == "numpy":
            continue
        worse = sorted(
            t
            for t, o in results[target].items()
            if o in ("failed", "dds") and baseline.get(t) == "passed"
        )
        if worse:  # rerun: does NumPy pass every time, does the target still fail?
            run(opts.suite, target, args, opts.out / f"recheck-{target}.xml", worse)
            again = outcomes(opts.out / f"recheck-{target}.xml")
            worse = [t for t in worse if again.get(t) != "passed"]
            for attempt in range(RECHECKS):
                if not worse:
                    break
                xml = opts.out / f"recheck-numpy-{attempt}.xml"
                run(opts.suite, "numpy", args, xml, worse)
                again_np = outcomes(xml)
                worse = [t for t in worse if again_np.get(t) == "passed"]
            dds = [t for t in worse if again.get(t) == "dds"]
            worse = [t for t in worse if t not in dds]
            if dds:
                print(f"{target}: {len(dds)} test(s) NumPy passes, raising DataDependentShapeError")
                for t in dds:
                    print(f"    {t}")
        print(f"{target}: {len(worse)} test(s) NumPy passes and {target} fails")
        for t in worse:
            print(f"    {t}")


if __name__ == "__main__":
    main()
