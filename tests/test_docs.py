"""The docs run: every ```python block of README.md and docs/*.md runs, and prints what the
document says it prints.

Rules (they are also the rules for writing docs):

- The ```python blocks of one file run in order in one namespace, like the cells of a
  notebook, in a fresh interpreter per file started from the repository root (so a document
  that registers a primitive or patches an ``impl`` cannot leak into other tests), with
  warnings turned into errors and every program jit builds type-checked.
- A plain ``` block (no language) directly after a python block (only blank lines between)
  is that block's expected stdout, compared exactly except for trailing spaces on a line and
  trailing blank lines. A python block with no such block must print nothing.
- ```bash / ```sh / ```shell / ```console blocks are shell commands and are not run; neither
  is the README's first block (the install and test lines that ``.ci/run`` executes, which
  stays unlabelled).
- A block that genuinely cannot run here is marked by ``<!-- skip-test: why -->`` on the line
  right before its fence; it is reported as a skipped test with that reason
  (``pytest -rs`` lists them).
- A block that raises ``ModuleNotFoundError`` for one of ``OPTIONAL_LIBRARIES`` (PyTorch,
  which the test extra installs on CPython 3.11 only, say) is reported as skipped.
- Anything else (a plain block after prose, another language, an indented fence) fails
  ``test_doc_is_well_formed``, so an output block cannot silently go unchecked.

One test per python block, named ``file:line`` (the line of its opening fence); a traceback
from a block names the markdown file and line.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = {"bash", "sh", "shell", "console"}
FENCE = re.compile(r"^```(\S*)\s*$")
# Libraries a docs block may import that the test extra does not install everywhere.
OPTIONAL_LIBRARIES = ("torch", "cupy", "jax", "numba", "matplotlib")
SKIP = re.compile(r"^<!--\s*skip-test(?::\s*(.*?))?\s*-->\s*$")


@dataclass
class Block:
    """One python block: where it is, its code, and what it must print."""

    line: int  # 1-based line of the opening fence
    source: str  # padded with newlines so that its line numbers are the file's
    expected: str | None  # the plain block after it, None if there is none
    skip: str | None  # the reason of a skip-test marker


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def parse(path: Path) -> tuple[list[Block], list[str]]:
    """The python blocks of a markdown file, and what breaks the rules above."""
    lines = path.read_text(encoding="utf-8").splitlines()
    name = _name(path)
    fences = []  # (line index of the opening fence, language, body lines)
    problems = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match is None:
            if lines[i].lstrip().startswith("```"):
                problems.append(f"{name}:{i + 1}: indented or unparsed fence")
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if end == len(lines):
            problems.append(f"{name}:{i + 1}: fence never closed")
            break
        fences.append((i, match.group(1), lines[i + 1 : end], end))
        i = end + 1

    blocks: list[Block] = []
    previous_python_end = None  # closing-fence index of the last python block
    for number, (start, lang, body, end) in enumerate(fences):
        marker = SKIP.match(lines[start - 1].strip()) if start > 0 else None
        follows_python = previous_python_end is not None and all(
            not text.strip() for text in lines[previous_python_end + 1 : start]
        )
        previous_python_end = None
        if marker is not None and not marker.group(1):
            problems.append(f"{name}:{start + 1}: skip-test marker without a reason")
        if lang == "python":
            blocks.append(
                Block(
                    line=start + 1,
                    source="\n" * (start + 1) + "\n".join(body) + "\n",
                    expected=None,
                    skip=marker.group(1) if marker else None,
                )
            )
            previous_python_end = end
        elif lang == "" and follows_python:
            blocks[-1].expected = "\n".join(body)
        elif lang in SHELL or (name == "README.md" and number == 0):
            pass
        elif lang == "":
            problems.append(
                f"{name}:{start + 1}: plain block that is not right after a python block: "
                "label it (```python, ```bash) or put it after the block that prints it"
            )
        else:
            problems.append(f"{name}:{start + 1}: unknown block language {lang!r}")
    return blocks, problems


def normalise(text: str) -> str:
    """Output as compared: trailing spaces and trailing blank lines do not count."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def run_blocks(path: Path) -> list[dict]:
    """Run the python blocks of one file in one namespace (in THIS process): for each, what
    it printed and the traceback if it raised. Later blocks run even when one fails."""
    import contextlib
    import io
    import traceback
    import warnings

    from autovec.interpreters import staging

    staging.CHECK_PROGRAMS = True
    namespace: dict = {"__name__": "__main__"}
    results = []
    for block in parse(path)[0]:
        if block.skip is not None:
            results.append({"line": block.line, "stdout": "", "error": None})
            continue
        stdout = io.StringIO()
        error = None
        try:
            with contextlib.redirect_stdout(stdout), warnings.catch_warnings():
                warnings.simplefilter("error")  # a doc example must not warn
                exec(compile(block.source, str(path), "exec"), namespace)
        except BaseException as exc:  # report everything, SystemExit included
            # Drop this function's own frame: the traceback starts at the markdown line.
            error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next))
        results.append({"line": block.line, "stdout": stdout.getvalue(), "error": error})
    return results


@functools.cache
def results_of(path: Path) -> dict[int, dict]:
    """Run a file's blocks in a fresh interpreter from the repository root, once per session."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        proc = subprocess.run(
            [sys.executable, __file__, str(path), str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0 or not out.exists():
            raise AssertionError(f"running {path.name} failed:\n{proc.stdout}\n{proc.stderr}")
        return {r["line"]: r for r in json.loads(out.read_text())}


def _cases():
    for path in DOCS:
        for block in parse(path)[0]:
            name = f"{_name(path)}:{block.line}"
            yield pytest.param(path, block, id=name)


@pytest.mark.parametrize("path", DOCS, ids=_name)
def test_doc_is_well_formed(path):
    blocks, problems = parse(path)
    assert problems == []


def test_every_doc_is_found():
    names = {_name(p) for p in DOCS}
    assert {"README.md", "docs/semantics.md", "docs/how-vmap-works.md"} <= names


def test_parse_applies_the_rules(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```python\nx = 1\nprint(x)\n```\n\n```\n1\n```\n"  # a block and its output
        "\n```bash\nls\n```\n"  # shell: not run
        "<!-- skip-test: needs a GPU -->\n```python\nimport cupy\n```\n"
        "text\n\n```\norphan output\n```\n"  # not right after a python block
        "<!-- skip-test -->\n```python\npass\n```\n"  # a skip needs a reason
        "```text\nx\n```\n"
        "  ```python\n  pass\n  ```\n"
    )
    blocks, problems = parse(doc)
    assert [(b.line, b.expected, b.skip) for b in blocks] == [
        (1, "1", None),
        (14, None, "needs a GPU"),
        (23, None, None),
    ]
    assert blocks[0].source.splitlines()[1:] == ["x = 1", "print(x)"]  # line 2 is line 2
    assert sorted(p.split(": ", 1)[0] for p in problems) == [
        "doc.md:19",
        "doc.md:23",
        "doc.md:26",
        "doc.md:29",
        "doc.md:31",
    ]
    assert normalise("a  \nb\n\n") == normalise("a\nb") != normalise("a\n\nb")


@pytest.mark.parametrize("path, block", list(_cases()))
def test_block(path, block):
    if block.skip is not None:
        pytest.skip(f"skip-test: {block.skip}")
    result = results_of(path)[block.line]
    if result["error"] is not None:
        missing = re.search(r"No module named '(\w+)'", result["error"])
        if missing and missing.group(1) in OPTIONAL_LIBRARIES:
            pytest.skip(f"needs {missing.group(1)}, an optional library absent here")
        pytest.fail(f"the block raised:\n{result['error']}", pytrace=False)
    printed = normalise(result["stdout"])
    expected = "" if block.expected is None else normalise(block.expected)
    if printed != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), printed.splitlines(), "the doc says", "the block printed", n=2
        )
        pytest.fail("\n".join(diff), pytrace=False)


if __name__ == "__main__":
    # The fresh interpreter of results_of: python tests/test_docs.py DOC RESULTS_JSON
    doc, dest = Path(sys.argv[1]), Path(sys.argv[2])
    dest.write_text(json.dumps(run_blocks(doc)))
