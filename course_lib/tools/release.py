"""Regenerate the student versions of the homework: assignments/<name>/ from solutions/<name>/.

``make assignments`` runs ``python -m course_lib.tools.release``. For every folder
``solutions/<name>/`` it runs the real ``nbgrader generate_assignment <name> --force --no-db`` from
the course root (the folder of ``nbgrader_config.py``). nbgrader then

- replaces each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by a stub
  (``raise NotImplementedError()`` in code, "YOUR ANSWER HERE" in markdown),
- deletes ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` regions and mark schemes,
- clears outputs, locks read-only and test cells, and stores a checksum of every graded cell
  (the autograder restores a locked cell whose checksum no longer matches).

Released into the course's own ``assignments/`` folder, every homework is also recorded in the
course's gradebook (``gradebook.db``, git-ignored), so that ``nbgrader autograde <name>`` works
right after ``make assignments``; released elsewhere (``out_dir``, as the tests do), ``--no-db``
keeps the gradebook out of it. The output is then normalised so that regenerating gives
byte-identical files: nbgrader itself is deterministic, but JupyterLab may store per-cell run
times (``metadata.execution``) in the source, which must not reach the students.

Usage: ``python -m course_lib.tools.release [ROOT]`` (ROOT defaults to the current directory).

Reference: nbgrader documentation, "Creating and grading assignments" and "Student version"
(https://nbgrader.readthedocs.io).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

CONFIG_FILE = "nbgrader_config.py"
SOURCE_DIR = "solutions"
RELEASE_DIR = "assignments"
# cell metadata that records when a cell ran, not what it is
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime")


def nbgrader(root, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the ``nbgrader`` command line in a course folder and return the finished process.

    The venv's bin/ (the folder of this Python) is put first on PATH: nbgrader shells out to
    ``alembic`` when it creates a gradebook.

    Inputs:
    - root: the course folder (holds nbgrader_config.py); the command runs there.
    - args: the nbgrader arguments, e.g. "autograde", "ps01_ngrams".
    - check: raise RuntimeError, with nbgrader's output, if the command exits with a nonzero
      code. Pass False for `autograde`, which exits with 1 when one student's kernel died even
      though every other student was graded.

    Returns:
    - the CompletedProcess (stdout and stderr as text).
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [sys.executable, "-m", "nbgrader", *args]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(
            f"`nbgrader {' '.join(args)}` failed with exit code {done.returncode} in {root}:\n"
            f"{done.stdout}\n{done.stderr}"
        )
    return done


def assignment_names(root) -> list[str]:
    """Sorted names of the folders of ``<root>/solutions`` (one homework each)."""
    source = Path(root) / SOURCE_DIR
    if not source.is_dir():
        raise ValueError(f"root must hold a {SOURCE_DIR}/ folder, none in {root}")
    return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))


def normalise_notebook(path) -> None:
    """Rewrite a released notebook without volatile cell metadata (see VOLATILE_CELL_METADATA)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    nbformat.write(nb, path)


def release(root, out_dir=None) -> list[Path]:
    """Generate the student version of every homework of a course.

    Inputs:
    - root: course folder holding nbgrader_config.py and solutions/<name>/ folders.
    - out_dir: folder that receives <name>/ for every homework; None means <root>/assignments.
      Existing <name>/ folders there are replaced.

    Returns:
    - the released notebooks (list of Path), sorted.
    """
    root = Path(root).resolve()
    if not (root / CONFIG_FILE).is_file():
        raise ValueError(f"root must hold {CONFIG_FILE}, none in {root}")
    out_dir = root / RELEASE_DIR if out_dir is None else Path(out_dir).resolve()
    no_db = [] if out_dir == root / RELEASE_DIR else ["--no-db"]
    names = assignment_names(root)
    for name in names:
        nbgrader(
            root,
            "generate_assignment",
            name,
            "--force",
            *no_db,
            f"--CourseDirectory.release_directory={out_dir}",
        )
    notebooks = sorted(p for name in names for p in (out_dir / name).glob("*.ipynb"))
    for path in notebooks:
        normalise_notebook(path)
    return notebooks


def main(argv=None) -> int:
    """Command line: release every homework of the course in argv[0] (default: current folder)."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path.cwd()
    for path in release(root):
        print(f"released {path.relative_to(root.resolve())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
