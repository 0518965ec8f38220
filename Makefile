# The two commands: `make run` (set up and open the app) and `make test` (set up and test).
# `make check` is the quick one while working: ruff, then the unit and AppTest tiers on every
# core (pytest-xdist).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# The tiers are pytest markers (pyproject.toml): a test may carry a second one (a slow test in a
# module of unit tests), so the quick check leaves slow and browser tests out explicitly.
QUICK := (unit or apptest) and not (slow or browser)

.PHONY: run serve-class test check setup debian lint bench bench-long

run: setup
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

# A lecture hall: PROCESSES server processes over one run store, behind Debian's nginx on PORT
# (the loopback address; ADDRESS=0.0.0.0 for the class's network). README: "A lecture hall".
PROCESSES ?= 2
ADDRESS ?= 127.0.0.1
serve-class: setup
	$(PY) -m cnnviz.serve_class --processes $(PROCESSES) --port $(PORT) --address $(ADDRESS)

# The whole suite on every core too: a test file stays in one process (--dist loadfile), so a
# module's server and browser start once; each process has its own servers, ports and stores.
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -n auto --dist loadfile --durations=15 $(PYTEST_ARGS)

check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -n auto -m "$(QUICK)" $(PYTEST_ARGS)

setup: debian $(VENV)/.installed

debian:
	@bash scripts/debian-packages.sh

# requirements.txt pins every package, setuptools included, so the project itself installs
# (editable: cnnviz, ui and cnnviz_testing import from anywhere) with no download.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

lint: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	$(PY) benchmarks/render_bench.py
	$(PY) benchmarks/lessons_bench.py
	$(PY) benchmarks/builder_bench.py
	$(PY) benchmarks/kernel_learning_bench.py
	$(PY) benchmarks/train_bench.py
	$(PY) benchmarks/whole_run_bench.py --epochs 3
	$(PY) benchmarks/import_bench.py
	$(PY) benchmarks/image_memory_bench.py
	$(PY) benchmarks/insight_bench.py
	$(PY) benchmarks/estimate_bench.py
	$(PY) benchmarks/browser_latency.py
	$(PY) benchmarks/watched_bench.py

# An hour and more: the 30-minute memory soak and the classroom load at 1-100 students.
bench-long: setup
	$(PY) benchmarks/memory_soak.py --minutes 30
	$(PY) benchmarks/classroom_load.py
