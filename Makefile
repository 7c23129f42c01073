# CNT Detox: `make run` (set up and start everything) and `make test` (whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUN_DIR := .run
export DJANGO_SETTINGS_MODULE := cnt_detox.settings

.PHONY: run test venv migrate seed lint format check-deploy lock clean-run bench

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(BIN)/.installed

$(RUN_DIR):
	@mkdir -p $(RUN_DIR)/broker/queue $(RUN_DIR)/broker/processed $(RUN_DIR)/broker/control

migrate: venv $(RUN_DIR)
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	@$(BIN)/python manage.py seed_demo --if-empty --logins-file $(RUN_DIR)/demo-logins.txt

## Development server on http://127.0.0.1:8000 plus a Celery worker with embedded beat on the
## file-system broker (no Redis needed). Ctrl-C stops both.
run: seed
	@echo
	@echo "CNT Detox is starting on http://127.0.0.1:8000"
	@echo "Demo logins (username / password / role):"
	@cat $(RUN_DIR)/demo-logins.txt
	@echo
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/honcho start -f Procfile.dev

## Whole test suite. Uses DATABASE_URL / CELERY_BROKER_URL when set (CI: PostgreSQL and Redis).
PYTEST_ARGS ?= -n 2 --dist loadfile

test: venv $(RUN_DIR)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-deploy: venv
	DJANGO_ENV=production SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=cnt-detox.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

lock: venv
	$(BIN)/python -m pip freeze --exclude-editable > requirements.lock

bench: venv
	$(BIN)/python bench/run.py

clean-run:
	rm -rf $(RUN_DIR) db.sqlite3
