# healthpm — two commands do everything: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test test-fast lock check clean

$(STAMP): requirements.lock tests/browser/package-lock.json
	@bash .ci/system-deps
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	# axe-core, which the browser tests inject into each page, and vnu-jar, the Nu HTML Checker (pinned in package-lock.json).
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

install: $(STAMP)

# Embedded demo: SQLite, tasks in process, console e-mail. Environment variables are ignored
# on purpose so a developer's shell cannot point the demo at a production database.
run: install
	env -u DATABASE_URL -u CELERY_BROKER_URL $(PY) manage.py migrate --noinput
	# The certificate before the data: seed_demo signs a dossier and an audit checkpoint with it.
	env -u DATABASE_URL -u CELERY_BROKER_URL $(PY) manage.py make_signing_cert --if-missing
	env -u DATABASE_URL -u CELERY_BROKER_URL $(PY) manage.py seed_demo
	env -u DATABASE_URL -u CELERY_BROKER_URL $(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(PY) -m pytest

# The inner loop: no browser journeys (Chromium, axe-core) and no integration tests (real
# broker, Celery worker or gunicorn processes). `make test` stays the whole suite.
test-fast: install
	$(PY) -m pytest -m "not browser and not integration"

lock:
	$(PYTHON) -m venv /tmp/healthpm-lock && /tmp/healthpm-lock/bin/pip install --quiet ".[test]" \
	  && /tmp/healthpm-lock/bin/pip freeze --exclude healthpm > requirements.lock

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var .pytest_cache tests/browser/node_modules
