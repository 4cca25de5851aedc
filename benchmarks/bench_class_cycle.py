"""Time for one homework's whole cycle on a hub machine with N students, in seconds per student.

The set-up of tests/test_hub.py at class size: N real Linux accounts for the students and one for
the instructor, the shared exchange of deploy/setup_exchange.py, and the instructor's commands
of the README's "Running a class" section. Every student acts as their own Linux user, in one
process each (nbgrader's exchange classes, as the Assignment List's server extension calls them):
fetch ps01, save an answer (even students: the solution, odd students: the release unchanged),
submit; later fetch their feedback. Student processes run two at a time, and grading
(``python -m course_lib.grading``, sandboxed) runs one student per core.

Prints the seconds of each phase, the whole cycle in seconds per student, the instructor's side
(collect, grade, feedback, export) per student, and checks every exported grade (20 or 0) and
every student's feedback. The hub's web servers are left out (each user's server is started when
they log in, not per homework); tests/test_hub.py drives them.

Usage (as root, with bubblewrap): python benchmarks/bench_class_cycle.py [N]   (default 50)
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import nbformat  # noqa: E402
from grading import make_submission, release_notebook, source_notebook  # noqa: E402
from test_hub import (  # noqa: E402 - the hub test's accounts, commands and checks
    ASSIGNMENT,
    COURSE_ID,
    DEPLOY,
    FULL_MARKS,
    GRADE_COMMANDS,
    RELEASE_COMMANDS,
    add_account,
    remove_account,
    why_no_hub,
)

STUDENT_PARALLEL = 2  # student processes at a time (2 cores)

# One student's side of the cycle, run as that student: "submit NOTEBOOK" (fetch, save, submit;
# NOTEBOOK "-" keeps the release) or "feedback"; prints how many feedback files they have.
STUDENT = """
import shutil, sys
from pathlib import Path
from traitlets.config import Config
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeFactory
action, exchange, course_id, assignment = sys.argv[1:5]
config = Config()
config.Exchange.root = exchange
config.CourseDirectory.course_id = course_id
config.CourseDirectory.assignment_id = assignment
factory = ExchangeFactory(config=config)
def run(kind):
    getattr(factory, kind)(coursedir=CourseDirectory(config=config),
                           authenticator=Authenticator(config=config), config=config).start()
if action == "submit":
    run("FetchAssignment")
    if sys.argv[5] != "-":
        shutil.copy(sys.argv[5], Path(assignment) / f"{assignment}.ipynb")
    run("Submit")
else:
    run("FetchFeedback")
print(len(list(Path(assignment, "feedback").glob("*/*.html"))))
"""


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    reason = why_no_hub()
    if reason:
        sys.exit(f"cannot run the class cycle here: {reason}")
    base = Path(tempfile.mkdtemp(prefix="course-class-"))
    base.chmod(0o755)
    prefix = "c" + secrets.token_hex(3)
    accounts = []
    try:
        seconds = cycle(base, prefix, n, accounts)
    finally:
        for account in accounts:
            remove_account(account)
        shutil.rmtree(base, ignore_errors=True)
    total = sum(seconds.values())
    instructor = sum(s for name, s in seconds.items() if name in GRADE_COMMANDS)
    for name, s in seconds.items():
        print(f"{s:8.1f} s  {name}")
    print(f"whole cycle for {n} students on {os.cpu_count()} cores: {total:.1f} s, "
          f"{total / n:.2f} s per student")
    print(f"instructor's side (collect, grade, feedback, export): {instructor / n:.2f} s per "
          f"student; grading alone: {seconds[GRADE_COMMANDS[1]] / n:.2f} s per student")


def cycle(base: Path, prefix: str, n: int, accounts: list) -> dict[str, float]:
    """Set up the class and run the cycle; returns {phase: seconds}. Fills accounts as made."""
    seconds, clock = {}, [time.perf_counter()]

    def phase(name: str) -> None:
        seconds[name] = time.perf_counter() - clock[0]
        clock[0] = time.perf_counter()

    homes = base / "home"
    homes.mkdir()
    instructor = add_account(f"{prefix}_teacher", homes)
    accounts.append(instructor)
    students = []
    for i in range(n):
        students.append(add_account(f"{prefix}_s{i:03d}", homes))
        accounts.append(students[-1])
    roster = base / "roster.txt"
    roster.write_text(f"instructor {instructor.name}\n"
                      + "".join(f"student {s.name}\n" for s in students))
    course = instructor.home / COURSE_ID
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "assignments"):
        shutil.copytree(ROOT / folder / ASSIGNMENT, course / folder / ASSIGNMENT)
    subprocess.run(["chown", "-R", f"{instructor.name}:", str(course)], check=True)
    exchange = base / "srv" / "exchange"
    subprocess.run([sys.executable, str(DEPLOY / "setup_exchange.py"), "--instructor",
                    instructor.name, "--exchange", str(exchange), "--course-dir", str(course),
                    "--roster", str(roster)], check=True, capture_output=True)
    script, solution = base / "student.py", base / "solution.ipynb"
    script.write_text(STUDENT)
    nbformat.write(make_submission(release_notebook(ASSIGNMENT), source_notebook(ASSIGNMENT)),
                   solution)
    for path in (script, solution):
        path.chmod(0o644)
    phase(f"set-up: {n + 1} accounts, exchange, course copy")

    for command in RELEASE_COMMANDS:
        instructor.run(command, cwd=course)
    phase("instructor releases")

    def student(i: int, action: str) -> str:
        extra = [str(solution) if i % 2 == 0 else "-"] if action == "submit" else []
        done = students[i].run([sys.executable, str(script), action, str(exchange), COURSE_ID,
                                ASSIGNMENT, *extra])
        return done.stdout.strip()

    with ThreadPoolExecutor(STUDENT_PARALLEL) as pool:
        list(pool.map(lambda i: student(i, "submit"), range(n)))
    phase(f"{n} students fetch, save, submit")
    for command in GRADE_COMMANDS:
        instructor.run(command, cwd=course, timeout=3600)
        phase(command)
    with ThreadPoolExecutor(STUDENT_PARALLEL) as pool:
        feedback = list(pool.map(lambda i: student(i, "feedback"), range(n)))
    phase(f"{n} students fetch feedback")

    with open(course / "grades.csv") as f:
        grades = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)}
    want = {s.name: FULL_MARKS if i % 2 == 0 else 0.0 for i, s in enumerate(students)}
    wrong = {s: (grades.get(s), w) for s, w in want.items() if grades.get(s) != w}
    assert not wrong, f"unexpected grades (got, want): {json.dumps(wrong)[:2000]}"
    assert feedback == ["1"] * n, f"feedback files per student: {feedback}"
    print(f"every grade as expected ({n // 2 + n % 2} x {FULL_MARKS:g}, {n // 2} x 0) and one "
          "feedback file per student")
    return seconds


if __name__ == "__main__":
    main()
