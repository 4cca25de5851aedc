"""``python -m course_lib.grading ASSIGNMENT``: autograde a whole class (see cli.py)."""

import sys

from course_lib.grading.cli import main

sys.exit(main())
