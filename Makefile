# jiekun — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# Only this machine by default; to serve the office network: make run ADDRESS=0.0.0.0
ADDRESS ?= 127.0.0.1

.PHONY: run test test-fast init demo clean-venv

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

## Create the venv if needed, migrate the database, start the app on http://localhost:$(PORT)
run: $(VENV)/.installed
	$(PY) manage.py init
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS)

# Two workers (pytest-xdist), one per core; a test file stays on one worker, so a file's server or demo is built once.
# Each worker has its own temporary files and PostgreSQL databases. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

## The whole test suite (SQLite, PostgreSQL when reachable, AppTest, the real browser)
test: $(VENV)/.installed
	$(PYTEST)

## Everything but the browser tests
test-fast: $(VENV)/.installed
	$(PYTEST) -m "not e2e"

init: $(VENV)/.installed
	$(PY) manage.py init

demo: $(VENV)/.installed
	$(PY) manage.py demo

clean-venv:
	rm -rf $(VENV)
