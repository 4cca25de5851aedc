"""nbgrader configuration of the course (read by every `nbgrader ...` command run in this folder).

Layout: the instructor writes each homework in solutions/<name>/<name>.ipynb (solutions, mark
schemes) with its hidden checks in solutions/<name>/checks.py; `make assignments`
(course_lib.tools.release) turns it into the student version assignments/<name>/<name>.ipynb and
records it in the gradebook. Grading uses nbgrader's default folders submitted/, autograded/ and
feedback/, the exchange/ folder and the gradebook.db below, all git-ignored.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (traitlets defines get_config when it runs this file)

# The folder of this file, so that a copy of the course (e.g. in a test) is self-contained.
COURSE_ROOT = Path(__file__).resolve().parent

# Recorded in the gradebook and used by nbgrader's exchange.
c.CourseDirectory.course_id = "seqmodels-nlp"
# The exchange (release -> fetch -> submit -> collect) of a single-machine course: a folder of
# the course (git-ignored), so that the nbgrader commands and JupyterLab's Assignment List work
# without a JupyterHub and without root. A hub overrides it with its shared exchange.
c.Exchange.root = str(COURSE_ROOT / "exchange")
try:
    (COURSE_ROOT / "exchange").mkdir(exist_ok=True)
except OSError:  # a read-only copy of the course: the exchange commands will say so
    pass
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

# Longest time one cell may run in the (sandboxed) kernel while autograding (seconds). The scores
# do not come from this run (see below), so a slow or looping cell costs nothing but time.
c.ExecutePreprocessor.timeout = 120

# Grades that cannot be forged (course_lib.grading): the submission is rebuilt on the release,
# run in a sandboxed kernel for people to read, and every exercise is then graded again outside
# the kernel, in fresh sandboxed processes, against the instructor solution's values and the
# hidden cases of solutions/<assignment>/checks.py (never part of any notebook).
PLUGINS = "course_lib.grading.nbgrader_plugins."
NBGRADER = "nbgrader.preprocessors."
c.Autograde.exporter_class = PLUGINS + "TolerantExporter"
c.Autograde.sanitize_preprocessors = [
    PLUGINS + "SanitizeSubmission",
    NBGRADER + "ClearOutput",
    NBGRADER + "DeduplicateIds",
    NBGRADER + "OverwriteKernelspec",
    NBGRADER + "OverwriteCells",
    NBGRADER + "CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    PLUGINS + "SandboxedExecute",
    NBGRADER + "IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    NBGRADER + "LimitOutput",
    PLUGINS + "CapOutputs",
    PLUGINS + "DecideScores",
    NBGRADER + "SaveAutoGrades",
    NBGRADER + "AssignLatePenalties",
    NBGRADER + "CheckCellMetadata",
]

# Feedback is HTML for the students: nbgrader's default feedback preprocessors, then the mark
# schemes removed (nbgrader 0.9 keeps them otherwise). Hidden cases live outside the notebooks,
# and a test cell's output is only the grader's one line per check.
c.GenerateFeedback.preprocessors = [
    NBGRADER + "GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    PLUGINS + "ClearMarkScheme",
]
