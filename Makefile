# The two quick-start commands: `make run` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install messages clean backup restore

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

## The portal on http://127.0.0.1:8000 (PORT overrides): embedded PostgreSQL unless DATABASE_URL is set,
## demo data, web + Celery worker + Celery beat. Ctrl-C stops it all.
run: $(STAMP)
	$(BIN)/python -m portal.devstack run

## The whole test suite (pytest) against DATABASE_URL, or a throwaway embedded PostgreSQL.
test: $(STAMP)
	$(BIN)/python -m portal.devstack test $(PYTEST_ARGS)

## Re-extract and recompile the translation catalogues after editing a django.po (every app with a
## locale/; the top-level templates/ go into portal's catalogue: see portal/messages.py).
messages: $(STAMP)
	$(BIN)/python -m portal.messages

## A backup of DATABASE_URL's database (pg_dump custom format) under var/backups/; OUTPUT=<file> to choose.
backup: $(STAMP)
	$(BIN)/python manage.py backup $(if $(OUTPUT),--output "$(OUTPUT)")

## Restore FILE=<backup> into the EMPTY database TARGET_URL=postgres://... (default: DATABASE_URL's, if empty).
restore: $(STAMP)
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=<backup> [TARGET_URL=postgres://...]" >&2; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)" $(if $(TARGET_URL),--database-url "$(TARGET_URL)")

clean:
	rm -rf $(VENV) var staticfiles
