"""nbgrader configuration of the course (read by every `nbgrader ...` command run in this folder).

Layout: the instructor writes each homework in solutions/<name>/<name>.ipynb (solutions, hidden
tests, mark schemes); `make assignments` (course_lib.tools.release) turns it into the student
version assignments/<name>/<name>.ipynb. Grading uses nbgrader's default folders submitted/,
autograded/ and feedback/ and the gradebook.db below, all git-ignored.
"""

from pathlib import Path

from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme

c = get_config()  # noqa: F821 (traitlets defines get_config when it runs this file)

# The folder of this file, so that a copy of the course (e.g. in a test) is self-contained.
COURSE_ROOT = Path(__file__).resolve().parent

# Recorded in the gradebook and used by nbgrader's exchange if the course ever runs on a hub.
c.CourseDirectory.course_id = "seqmodels-nlp"
# Every nbgrader path below is relative to the course root, whatever the current directory.
c.CourseDirectory.root = str(COURSE_ROOT)
# Instructor versions of the homework (nbgrader's "source" step).
c.CourseDirectory.source_directory = "solutions"
# Student versions, generated from solutions/ and committed (nbgrader's "release" step).
c.CourseDirectory.release_directory = "assignments"
# The gradebook lives in the course root (git-ignored); this is nbgrader's default made explicit.
c.CourseDirectory.db_url = f"sqlite:///{COURSE_ROOT / 'gradebook.db'}"
# Files never copied from solutions/ into a release or from a submission into autograded/:
# nbgrader's defaults, plus scripts (a paired .py of a notebook would carry the solutions),
# editor and backup files, logs and the gradebook.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    "*.py",
    "*.bak",
    "*.orig",
    "*.swp",
    "*~",
    ".DS_Store",
    "*.log",
    "gradebook.db",
]

# A student who deleted a test cell (or the written answer cell) gets it back, and graded,
# instead of a silent "no score" for that cell.
c.OverwriteCells.add_missing_cells = True

# Longest time one cell may run while autograding (seconds); an infinite loop in an answer then
# costs only its own exercise, since the following cells still run.
c.ExecutePreprocessor.timeout = 120

# Feedback is HTML for the students: run nbgrader's default feedback preprocessors, then remove
# the hidden tests and the mark schemes from the cells shown (nbgrader 0.9 keeps both otherwise).
# `preprocessors` is a traitlets List, so appending to the config value extends the default list.
c.GenerateFeedback.preprocessors.append(ClearHiddenTests)
c.GenerateFeedback.preprocessors.append(ClearMarkScheme)
