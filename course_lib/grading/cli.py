"""Grade a whole class: one ``nbgrader autograde`` per student, several at a time.

    python -m course_lib.grading ps01_ngrams            # or: make grade A=ps01_ngrams
    python -m course_lib.grading ps01_ngrams --workers 4 --force

Run it in the course folder (the one holding nbgrader_config.py) after ``make assignments``
(which records the homework in the gradebook) and after collecting the submissions into
``submitted/<student>/<assignment>/``. Each student is graded in a process of their own, so one
broken submission never stops the others; students already in ``autograded/`` are skipped unless
``--force`` (so an interrupted run resumes where it stopped). A progress bar counts students; at the
end a table lists every student's autograded points, and the exit code is 1 if some student could
not be graded (their names are printed: look at nbgrader's log for them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from tqdm.auto import tqdm

from course_lib.tools.release import CONFIG_FILE, nbgrader


def students_of(root: Path, assignment: str) -> list[str]:
    """Sorted ids of the students with a submission of the assignment."""
    submitted = root / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())


def grade_one(root: Path, assignment: str, student: str, force: bool) -> str:
    """Autograde one student; returns nbgrader's output."""
    args = ["autograde", assignment, f"--student={student}", "--create"]
    if force:
        args.append("--force")
    done = nbgrader(root, *args, check=False)
    return done.stdout + done.stderr


def totals(root: Path, assignment: str, students: list[str]) -> dict[str, float | None]:
    """{student: total autograded points}, None for a student the gradebook has no grade for."""
    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.find_assignment(assignment)
        for student in students:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                out[student] = None
                continue
            graded = [g.auto_score for nb in submission.notebooks for g in nb.grades
                      if g.auto_score is not None]
            out[student] = float(sum(graded)) if graded else None
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Autograde every submission of an assignment.")
    parser.add_argument("assignment")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="students graded at the same time (default: one per core)")
    parser.add_argument("--force", action="store_true", help="grade again students already graded")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not (root / CONFIG_FILE).is_file():
        parser.error(f"{root} holds no {CONFIG_FILE}: run this in the course folder")
    if not (root / "gradebook.db").is_file():
        parser.error("no gradebook.db: run `make assignments` first (it records the homework)")
    students = students_of(root, args.assignment)
    if not students:
        parser.error(f"no submissions in {root / 'submitted'}/<student>/{args.assignment}/")
    todo = [s for s in students if args.force
            or not (root / "autograded" / s / args.assignment).is_dir()]
    if args.force:
        for student in todo:  # nbgrader --force would regrade, but stale output must go too
            shutil.rmtree(root / "feedback" / student / args.assignment, ignore_errors=True)
    logs = {}
    with ThreadPoolExecutor(max(1, args.workers)) as pool:
        futures = {pool.submit(grade_one, root, args.assignment, s, args.force): s for s in todo}
        for future in tqdm(as_completed(futures), total=len(futures), unit="student"):
            logs[futures[future]] = future.result()
    scores = totals(root, args.assignment, students)
    failed = [s for s in students if scores[s] is None]
    width = max(len(s) for s in students)
    for student in students:
        score = scores[student]
        print(f"{student:<{width}}  {'not graded' if score is None else f'{score:g}'}")
    if failed:
        print(f"could not grade: {', '.join(failed)}", file=sys.stderr)
        for student in failed:
            print(f"--- nbgrader's log for {student}:\n{logs.get(student, '')[-2000:]}",
                  file=sys.stderr)
        return 1
    return 0
