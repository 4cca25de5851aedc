# Every target bootstraps .venv itself, so any of them works as the first command on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  ?= $(VENV)/.installed
# nbgrader shells out to `alembic`, so the venv's bin/ must be on PATH.
RUN    := PATH="$(abspath $(BIN)):$$PATH"

.PHONY: lab test run assignments grade bench nmt-long lint clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# JupyterLab refuses to run as root (containers, cloud VMs) unless told to.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)  ## open JupyterLab on the course
	mkdir -p exchange
	$(RUN) $(BIN)/jupyter lab --notebook-dir=$(CURDIR) $(LAB_ROOT)

# Test processes: much of the suite waits on kernels, sandboxes and servers, so two processes finish
# it in about 60% of the time on a 2-core machine. A file's tests stay in one process (--dist
# loadfile): the grading suites share one graded course per file, nbval one kernel per notebook.
JOBS ?= 2

test: $(STAMP)  ## lint, package tests, grading round trips, and every lecture notebook (nbval)
	$(BIN)/ruff check course_lib tests benchmarks
	$(RUN) $(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env --nbval-cell-timeout=900 --durations=20 -n $(JOBS) --dist loadfile

run: $(STAMP)  ## execute every lecture notebook in order into build/, one line each
	$(RUN) $(BIN)/python -m course_lib.tools.run_notebooks notebooks build/notebooks

assignments: $(STAMP)  ## regenerate assignments/ (student versions) from solutions/
	$(RUN) $(BIN)/python -m course_lib.tools.release

grade: $(STAMP)  ## autograde every submission of A (e.g. make grade A=ps01_ngrams), in parallel
	@test -n "$(A)" || { echo "usage: make grade A=<assignment>"; exit 2; }
	$(RUN) $(BIN)/python -m course_lib.grading $(A)

bench: $(STAMP)  ## speed ratios against reference implementations
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(RUN) $(BIN)/python $$f || exit 1; done

nmt-long: $(STAMP)  ## the long DE-EN training run (BPE and words, 12 min each) that notebook 06 loads
	$(RUN) $(BIN)/python -m course_lib.tools.train_nmt --minutes $(or $(MINUTES),12)

lint: $(STAMP)
	$(BIN)/ruff check course_lib tests benchmarks

clean:
	rm -rf build gradebook.db submitted autograded feedback exchange .grading-cache
