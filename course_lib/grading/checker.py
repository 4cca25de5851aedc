"""The grader's side of the checks: run exercises in sandboxed workers, compare with the reference.

``grade_notebook`` is what ``nbgrader_plugins.DecideScores`` calls for each submission:

    verdicts = grade_notebook(source_nb, submitted_nb, checks)
    # {test grade_id: Verdict(passed=[True, False, ...], note="...")}

Each exercise runs in a fresh child of a sandboxed ``worker`` that knows only that exercise; the
instructor notebook's answers are run the same way once per grading process (and cached) to get
the reference values, which never leave this process.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.grading import sandbox
from course_lib.grading.checks import AssignmentChecks, Exercise
from course_lib.grading.plain import same
from course_lib.grading.worker import DONE, READY, RESULT

STARTUP_SECONDS = 120.0  # importing torch on a busy 2-core machine can take a while
# a verdict line says only this much about a failure (never the case itself nor its values)
NOT_RUN = "not run (the answer crashed, exited or timed out before it)"


class GraderError(RuntimeError):
    """The instructor's side failed (set-up cell, fixture or reference): fix checks.py."""


# ------------------------------------------------------------------------- notebook anatomy
def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def set_up_source(source_nb) -> str:
    """The read-only code cells before the first answer cell of the instructor notebook."""
    parts = []
    for cell in source_nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            break
        if cell.cell_type == "code" and meta.get("locked") and not meta.get("grade"):
            parts.append(cell.source)
    return "\n\n".join(parts)


def answer_sources(nb) -> dict[str, str]:
    """{grade_id: source} of the code answer cells of a notebook."""
    return {
        nbgrader_meta(c)["grade_id"]: c.source
        for c in nb.cells
        if c.cell_type == "code" and nbgrader_meta(c).get("solution")
        and nbgrader_meta(c).get("grade_id")
    }


def preload_modules(set_up: str) -> str:
    """Heavy modules worth importing once per worker (those the set-up cell imports)."""
    heavy = ("numpy", "torch")
    return ",".join(m for m in heavy if f"import {m}" in set_up or f"from {m}" in set_up)


# --------------------------------------------------------------------------------- workers
class Worker:
    """One sandboxed worker process (see worker.py for the protocol).

    Inputs:
    - forbidden: module names absent in the sandbox; preload: modules imported once.
    - limits: sandbox.Limits.
    """

    def __init__(self, forbidden=(), preload="numpy", limits: sandbox.Limits | None = None):
        self.forbidden, self.preload = tuple(forbidden), preload
        self.limits = limits or sandbox.Limits()
        self.proc = None
        self.workdir = None
        self.cap = None
        self._buffer = b""

    def _start(self) -> None:
        self.workdir = tempfile.TemporaryDirectory(prefix="course-grading-")
        argv = [sys.executable, "-m", "course_lib.grading.worker", "--preload", self.preload]
        if sandbox.enabled():
            argv.append("--sandboxed")
        workdir = Path(self.workdir.name)
        os.chmod(workdir, 0o777)
        command = sandbox.command(argv, workdir, self.forbidden, self.limits)
        self.cap = sandbox.ProcessCap(self.limits.processes)
        env = None if sandbox.enabled() else sandbox.sandbox_env(workdir)
        self.proc = subprocess.Popen(
            self.cap.wrap(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=workdir, env=env, start_new_session=True,
        )
        self._buffer = b""

    def _readline(self, deadline: float) -> str | None:
        """Next line from the worker, or None on timeout or end of file."""
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:
                return None
            self._buffer += chunk
            if len(self._buffer) > 64 * 1024**2:  # a flood of output: give up on this exercise
                return None
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode(errors="replace")

    def run(self, job: dict, timeout: float) -> list[dict | None]:
        """Run one exercise; one result dict per case (None when the case never reported)."""
        results: list[dict | None] = [None] * len(job["cases"])
        if self.proc is None:
            self._start()
        if self._readline(time.monotonic() + STARTUP_SECONDS) != READY:
            self.close()
            raise GraderError("the grading worker did not start (is the sandbox working?)")
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:  # the worker died
            self.close()
            return results
        deadline = time.monotonic() + timeout
        while True:
            line = self._readline(deadline)
            if line is None:  # timed out or died: this exercise is over, start afresh next time
                self.close()
                return results
            if line == DONE:
                return results
            if line.startswith("SETUP_ERROR"):
                raise GraderError(f"the set-up cell failed in the worker: {line}")
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[0] == RESULT and parts[1].isdigit():
                index = int(parts[1])
                if index < len(results) and results[index] is None:
                    try:
                        results[index] = json.loads(parts[2])
                    except ValueError:
                        pass

    def close(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        if self.cap is not None:
            self.cap.close()
        if self.workdir is not None:
            self.workdir.cleanup()
            self.workdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_answers(checks: AssignmentChecks, set_up: str, answers: dict[str, str],
                exercises=None, max_seconds: float | None = None) -> dict[str, list[dict | None]]:
    """Run every exercise on the given answer cells, each in a fresh child of one worker.

    Inputs:
    - checks: the assignment's checks; set_up: source of the trusted set-up cell.
    - answers: {answer grade_id: source} (a missing answer runs as an empty cell).
    - exercises: the Exercise objects to run (default: all).
    - max_seconds: if given, a cap on every exercise's own timeout.

    Returns:
    - {test grade_id: [result dict or None per case]}.
    """
    out = {}
    with Worker(checks.forbidden, preload_modules(set_up)) as worker:
        for exercise in exercises or checks.exercises:
            timeout = min(exercise.timeout, max_seconds or exercise.timeout)
            out[exercise.test] = worker.run(exercise_job(checks, set_up, answers, exercise),
                                            timeout)
    return out


def exercise_job(checks: AssignmentChecks, set_up: str, answers: dict[str, str],
                 exercise: Exercise) -> dict:
    """What the worker runs for one exercise: the set-up cell, that exercise's answer cell (no
    other answer), its fixture and its cases. A missing answer runs as an empty cell."""
    return {
        "setup": set_up,
        "answer": answers.get(exercise.answer, ""),
        "fixture": exercise.fixture,
        "cases": [c.expr for c in exercise.case_list],
        "forbidden": list(checks.forbidden),
        "sandboxed": sandbox.enabled(),
    }


# ------------------------------------------------------------------------------ references
_REFERENCES: dict[str, dict[str, list[dict]]] = {}


def reference_results(checks: AssignmentChecks, source_nb,
                      cache_dir: Path | None = None) -> dict[str, list[dict]]:
    """The instructor solution's results, computed once for the same sources.

    They are kept in memory, and in ``cache_dir`` (a folder of the course that no sandbox sees)
    when given, so that grading processes started one per student share them.
    """
    set_up, answers = set_up_source(source_nb), answer_sources(source_nb)
    key = hashlib.sha256(repr((checks, set_up, sorted(answers.items()))).encode()).hexdigest()
    cached = Path(cache_dir) / f"reference-{key[:32]}.json" if cache_dir else None
    if key not in _REFERENCES and cached is not None and cached.is_file():
        _REFERENCES[key] = json.loads(cached.read_text())
    if key not in _REFERENCES:
        results = run_answers(checks, set_up, answers)
        for exercise in checks.exercises:
            for i, result in enumerate(results[exercise.test]):
                if result is None or "value" not in result and "error" not in result:
                    raise GraderError(
                        f"the reference answer of {exercise.answer!r} gave no result for case "
                        f"{i} ({exercise.case_list[i].expr!r}): {result}")
        _REFERENCES[key] = results
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(results))
            partial.replace(cached)
    return _REFERENCES[key]


# -------------------------------------------------------------------------------- verdicts
@dataclass
class Verdict:
    """The outcome of one exercise: one bool per case, and a short note for the student."""

    passed: list[bool] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.passed) and all(self.passed)


def case_passes(case, got: dict | None, want: dict) -> bool:
    """Whether the student's result of a case matches the reference's."""
    if got is None:
        return False
    if "error" in want:
        allowed = case.errors or (want["error"][0],)
        return "error" in got and isinstance(got["error"], list) and any(
            name in got["error"] for name in allowed)
    return "value" in got and same(got["value"], want["value"], case.rtol, case.atol)


def judge(exercise: Exercise, got: list[dict | None], want: list[dict]) -> Verdict:
    verdict = Verdict()
    for case, g, w in zip(exercise.case_list, got, want, strict=True):
        verdict.passed.append(case_passes(case, g, w))
        verdict.notes.append(NOT_RUN if g is None else "")
    return verdict


def grade_notebook(source_nb, submitted_nb, checks: AssignmentChecks,
                   max_seconds: float | None = None, cache_dir=None) -> dict[str, Verdict]:
    """Grade every exercise of a submission; {test grade_id: Verdict}.

    max_seconds caps each exercise's time (the checks' own timeouts otherwise); cache_dir keeps
    the reference results (see reference_results)."""
    reference = reference_results(checks, source_nb, cache_dir)
    student = run_answers(checks, set_up_source(source_nb), answer_sources(submitted_nb),
                          max_seconds=max_seconds)
    return {e.test: judge(e, student[e.test], reference[e.test]) for e in checks.exercises}
