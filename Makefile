# Two commands for a fresh machine: `make run` (the app on embedded defaults) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app

.PHONY: run test install worker

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(FLASK) db upgrade
	$(FLASK) run --host 127.0.0.1 --port 5000

worker: install
	$(FLASK) worker

test: install
	$(PY) -m pytest -n 2 --dist loadgroup
