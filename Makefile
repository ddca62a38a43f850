# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := statuspage.settings

.PHONY: run test venv dev-deps system-deps lint check bench demo clean messages

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime

dev-deps: $(VENV)/.dev

## make run: migrate, load the demo, serve on PORT with a Celery worker and beat; Ctrl-C stops all.
run: venv
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py load_demo
	$(PY) manage.py serve --port $(PORT)

demo: venv
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo

## make test: install what the tests need, check, lint, then the suite on SQLite and PostgreSQL.
test: dev-deps system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest
	$(PY) -m pytest --postgres -m postgres_too

## make messages: gather the interface strings into locale/nb/.../django.po, then compile it.
messages: dev-deps
	$(PY) manage.py makemessages --locale nb --no-obsolete --add-location file \
		--ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'benchmarks/*'
	msgfmt --check -o locale/nb/LC_MESSAGES/django.mo locale/nb/LC_MESSAGES/django.po

system-deps:
	@$(PYTHON) tests/system_deps.py

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

bench: dev-deps
	@$(PYTHON) tests/system_deps.py --bench
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) var .pytest_cache
