"""Grades that cannot be forged: how the course scores homework with nbgrader.

nbgrader runs a submission in a Jupyter kernel and gives a test cell its points when the cell
raises nothing. Code in an answer cell runs in that same kernel, so it could patch numpy, redefine
the test helpers or read the hidden tests. Here the kernel decides nothing:

1. ``nbgrader_plugins.SanitizeSubmission`` rebuilds the submitted notebook on the release: cells
   in release order, locked cells from the release, only the answer cells from the student.
2. ``nbgrader_plugins.SandboxedExecute`` runs it in a kernel inside a bubblewrap sandbox
   (``sandbox``): unprivileged, no network, only a fresh temporary folder writable, the course
   folder (solutions, gradebook, other submissions) absent, the modules an exercise forbids
   absent, memory, CPU time and processes capped. Its outputs are for people to read.
3. ``nbgrader_plugins.DecideScores`` then grades every exercise again, each in a fresh sandboxed
   process (``worker``) that sees only the trusted set-up cell, that exercise's answer cell and
   its hidden inputs (``checks.Exercise``, kept beside the instructor notebook in
   ``solutions/<assignment>/checks.py``, never in any notebook). The worker sends back plain
   values (``plain``: JSON, no pickle); the grader compares them with the instructor solution's
   values in its own process and writes one passed/failed line per check into the test cell.
   nbgrader's ``SaveAutoGrades`` turns that cell into points as usual, so the gradebook,
   formgrader, feedback and export work unchanged.

``python -m course_lib.grading ASSIGNMENT`` (``make grade A=...``) grades a whole class in
parallel with this configuration.
"""
