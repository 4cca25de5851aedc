"""Command-line tools of the course: ``python -m course_lib.tools.<name>`` (see the Makefile)."""
