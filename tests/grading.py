"""Grade fake students' submissions of a homework with the real nbgrader (a reusable harness).

A homework is only as good as its grader. The grader of homework ``<a>`` is right when

- the solution gets every autograded point and the untouched release gets none;
- a known-wrong answer to one exercise (a *mutant*) loses exactly that exercise's points: the test
  cell of that exercise scores 0 and every other test cell its full points;
- a deleted test cell is put back and graded (``OverwriteCells.add_missing_cells``).

This module builds such submissions from the instructor notebook (``solutions/<a>/<a>.ipynb``)
and the student release (``assignments/<a>/<a>.ipynb``), grades them all with ONE run of the
``nbgrader autograde`` command line in a temporary copy of the course (one kernel start per
student, so batching is what keeps it fast), and reads every score back from the gradebook.
nbgrader's exit code is not trusted (it is 1 when a single kernel died), nor is
``nbgrader validate`` (it exits 0 when tests fail).

Conventions of the homework notebooks:

- an answer cell (nbgrader ``solution``) holds code between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``, which the release replaces by nbgrader's stub;
- the exercise's single test cell (``grade`` with points) is the first grade cell after it;
- a mutant is a file ``tests/mutants/<a>/<answer grade_id>__<short name>.py`` holding the whole
  source of that answer cell, whose first line is a comment saying what is wrong with it.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from course_lib.tools.release import CONFIG_FILE, RELEASE_DIR, SOURCE_DIR, nbgrader

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
# nbgrader's default stubs (ClearSolutions.code_stub["python"] and ClearSolutions.text_stub)
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
TEXT_STUB = "YOUR ANSWER HERE"


# ----------------------------------------------------------------------------- notebook anatomy
def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata ({} for a plain cell)."""
    return cell.metadata.get("nbgrader", {})


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def autograded_points(source_nb) -> dict[str, float]:
    """{grade_id: points} of the autograded cells (code grade cells); manual answers left out."""
    return {
        grade_id(c): float(nbgrader_meta(c)["points"])
        for c in source_nb.cells
        if nbgrader_meta(c).get("grade") and c.cell_type == "code"
    }


def exercise_test_cells(source_nb) -> dict[str, str]:
    """{answer grade_id: grade_id of its test cell} for every autograded answer cell."""
    pairs, answer = {}, None
    for cell in source_nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and not meta.get("grade") and cell.cell_type == "code":
            answer = grade_id(cell)
        elif meta.get("grade") and cell.cell_type == "code" and answer is not None:
            pairs[answer] = grade_id(cell)
            answer = None
    return pairs


def solution_regions(source: str) -> list[list[str]]:
    """The lines between each BEGIN SOLUTION / END SOLUTION pair of a cell source, in order."""
    regions, current = [], None
    for line in source.split("\n"):
        if line.strip() == BEGIN_SOLUTION:
            current = []
        elif line.strip() == END_SOLUTION:
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return regions


def fill_stubs(released: str, regions: list[list[str]]) -> str:
    """A released answer cell with its code stubs replaced by the given regions, in order.

    Inputs:
    - released: source of the cell in the release (one CODE_STUB per solution region).
    - regions: list of R line lists (each line keeps its own indentation).

    Returns:
    - the source a student who wrote exactly those regions would submit.
    """
    lines, out, used, i = released.split("\n"), [], 0, 0
    while i < len(lines):
        pair = tuple(line.strip() for line in lines[i : i + 2])
        if pair == CODE_STUB:
            if used == len(regions):
                raise ValueError("released has more code stubs than there are regions")
            out += regions[used]
            used, i = used + 1, i + 2
        else:
            out.append(lines[i])
            i += 1
    if used != len(regions):
        raise ValueError(f"released has {used} code stubs for {len(regions)} solution regions")
    return "\n".join(out)


def make_submission(
    release_nb,
    source_nb,
    replace: dict[str, str] | None = None,
    delete: tuple[str, ...] = (),
    written: str = "A written answer.",
):
    """A student notebook: the release with every answer written.

    Inputs:
    - release_nb, source_nb: the release and instructor notebooks (nbformat nodes).
    - replace: {grade_id: whole cell source} for the cells written differently: answers
      (mutants, shortcuts) or even locked cells (a student who edits a test); every other code
      answer cell gets the solution regions of source_nb.
    - delete: grade_ids of cells the student deleted.
    - written: text of every manually graded markdown answer.

    Returns:
    - a new notebook node (release_nb is not modified).
    """
    replace = dict(replace or {})
    sources = {grade_id(c): c.source for c in source_nb.cells if grade_id(c)}
    unknown = (set(replace) | set(delete)) - set(sources)
    if unknown:
        raise ValueError(f"replace/delete name cells absent from the notebook: {sorted(unknown)}")
    nb = copy.deepcopy(release_nb)
    nb.cells = [c for c in nb.cells if grade_id(c) not in delete]
    for cell in nb.cells:
        gid, meta = grade_id(cell), nbgrader_meta(cell)
        if gid in replace:
            cell.source = replace.pop(gid)
        elif not meta.get("solution"):
            continue
        elif cell.cell_type == "code":
            cell.source = fill_stubs(cell.source, solution_regions(sources[gid]))
        else:
            cell.source = cell.source.replace(TEXT_STUB, written)
    return nb


# ----------------------------------------------------------------------------------- mutants
@dataclass(frozen=True)
class Mutant:
    """A wrong (or forbidden) answer to one exercise, read from tests/mutants/<a>/."""

    answer_id: str  # grade_id of the answer cell it replaces
    name: str  # short name, from the file name
    source: str  # whole source of the answer cell
    why: str  # its first line: what is wrong with it

    @property
    def student(self) -> str:
        return f"{self.answer_id}__{self.name}"


def load_mutants(folder) -> list[Mutant]:
    """Every ``<answer grade_id>__<name>.py`` of a folder, sorted by file name."""
    mutants = []
    for path in sorted(Path(folder).glob("*__*.py")):
        answer_id, name = path.stem.split("__", 1)
        source = path.read_text().rstrip("\n")
        first = source.split("\n", 1)[0]
        if not first.startswith("#"):
            raise ValueError(f"{path.name} must start with a comment saying what is wrong")
        mutants.append(Mutant(answer_id, name, source, first.lstrip("# ").strip()))
    return mutants


# ---------------------------------------------------------------------------------- grading
@dataclass
class GradedCourse:
    """A temporary course after one autograde run.

    - root: its folder; assignment, notebook_id: what was graded.
    - scores: {student: {grade_id: auto score}} (manual cells score None); a student whose
      notebook nbgrader could not grade is absent.
    - log: nbgrader's output (stdout + stderr), for failure messages.
    """

    root: Path
    assignment: str
    notebook_id: str
    scores: dict[str, dict[str, float | None]]
    log: str

    def autograded_notebook(self, student: str):
        path = self.root / "autograded" / student / self.assignment / f"{self.notebook_id}.ipynb"
        return nbformat.read(path, as_version=4)

    def cell_errors(self, student: str) -> dict[str, str]:
        """{grade_id: "ErrorName: message"} of the graded code cells that raised."""
        errors = {}
        for cell in self.autograded_notebook(student).cells:
            for out in cell.get("outputs", []):
                if out.output_type == "error" and grade_id(cell):
                    errors[grade_id(cell)] = f"{out.ename}: {out.evalue}"
        return errors

    def feedback_html(self, student: str) -> str:
        """Generate the student's feedback with the course config and return its HTML."""
        nbgrader(self.root, "generate_feedback", self.assignment, f"--student={student}", "--force")
        path = self.root / "feedback" / student / self.assignment / f"{self.notebook_id}.html"
        return path.read_text()


def copy_course(root, assignment: str, dest) -> Path:
    """Copy what grading needs (config, source and release of one assignment) into dest."""
    root, dest = Path(root), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / CONFIG_FILE, dest / CONFIG_FILE)
    for folder in (SOURCE_DIR, RELEASE_DIR):
        shutil.copytree(root / folder / assignment, dest / folder / assignment)
    return dest


def autograde(root, assignment: str, submissions: dict, workdir, notebook_id=None) -> GradedCourse:
    """Grade many students' notebooks with one ``nbgrader autograde`` run.

    Inputs:
    - root: the course (nbgrader_config.py, solutions/<assignment>, assignments/<assignment>).
    - assignment: its name.
    - submissions: {student id: notebook node}; ids made of letters, digits and underscores.
    - workdir: an empty folder for the temporary course copy.
    - notebook_id: file stem of the graded notebook; None means the assignment's name.

    Returns:
    - GradedCourse with every student's scores.
    """
    if not submissions:
        raise ValueError("submissions must hold at least one student")
    notebook_id = notebook_id or assignment
    course = copy_course(root, assignment, workdir)
    # records the source cells and their checksums in the gradebook (the release is unchanged)
    log = nbgrader(course, "generate_assignment", assignment, "--force").stderr
    for student, nb in submissions.items():
        target = course / "submitted" / student / assignment / f"{notebook_id}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    done = nbgrader(course, "autograde", assignment, "--create", check=False)
    log += done.stdout + done.stderr
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in submissions:
            try:
                graded = gb.find_submission_notebook(notebook_id, assignment, student)
            except MissingEntry:
                continue
            scores[student] = {g.name: g.auto_score for g in graded.grades}
    return GradedCourse(course, assignment, notebook_id, scores, log)
