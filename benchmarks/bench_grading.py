"""Time to grade a class: `make grade` (course_lib.grading) on generated submissions of ps01.

A temporary copy of the course gets N submissions (the solution, the untouched release and
every mutant of tests/mutants/ps01_ngrams, in turn), then ``python -m course_lib.grading
ps01_ngrams`` grades them all, sandboxed, one student per core. Prints the wall time, seconds
per submission and seconds per submission per core (goal: under 5 s per submission per core),
and checks that the scores are the expected ones.

Usage: python benchmarks/bench_grading.py [N]   (default 100; needs bubblewrap)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from grading import (  # noqa: E402 - the test harness builds the submissions
    assignment_mutants,
    autograded_points,
    make_submission,
    prepare_course,
    release_notebook,
    source_notebook,
    write_submission,
)

from course_lib.grading.cli import totals  # noqa: E402

ASSIGNMENT = "ps01_ngrams"


def submissions(n: int) -> dict:
    """{student: (notebook, expected total)} cycling solution, release and every mutant."""
    source, release = source_notebook(ASSIGNMENT), release_notebook(ASSIGNMENT)
    points = autograded_points(source)
    tests = {c.metadata.nbgrader["grade_id"]: c for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    kinds = [(make_submission(release, source), sum(points.values())), (release, 0.0)]
    answers = [c.metadata.nbgrader["grade_id"] for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    test_of = dict(zip(answers, tests, strict=True))
    for mutant in assignment_mutants(ASSIGNMENT):
        nb = make_submission(release, source, replace={mutant.answer_id: mutant.source})
        kinds.append((nb, sum(points.values()) - points[test_of[mutant.answer_id]]))
    return {f"student{i:03d}": kinds[i % len(kinds)] for i in range(n)}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        course, _ = prepare_course(ROOT, ASSIGNMENT, Path(tmp) / "course")
        cases = submissions(n)
        for student, (nb, _) in cases.items():
            write_submission(course, ASSIGNMENT, student, ASSIGNMENT, nb)
        start = time.perf_counter()
        venv_bin = Path(sys.executable).parent  # nbgrader calls alembic from there
        env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"}
        subprocess.run([sys.executable, "-m", "course_lib.grading", ASSIGNMENT,
                        "--workers", str(cores)], cwd=course, env=env, check=True,
                       capture_output=True)
        seconds = time.perf_counter() - start
        got = totals(course, ASSIGNMENT, list(cases))
    wrong = [s for s, (_, want) in cases.items() if got[s] != want]
    print(f"graded {n} submissions of {ASSIGNMENT} on {cores} cores in {seconds:.1f} s")
    print(f"{seconds / n:.2f} s per submission, {seconds * cores / n:.2f} s per submission per core"
          " (goal: under 5)")
    print("every score as expected" if not wrong else f"UNEXPECTED scores for {wrong}")


if __name__ == "__main__":
    main()
