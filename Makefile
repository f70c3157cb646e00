# Every target creates .venv/ on first use, so a fresh clone needs only `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed

.PHONY: test bench grade-cases clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pytest -q tests --benchmark-enable --benchmark-only

# Grade the shared labeled cases and print the summary table.
grade-cases: $(STAMP)
	for f in ../shared/cases/*.jsonl; do $(VENV)/bin/grader grade $$f -o /tmp/$$(basename $$f .jsonl).graded.jsonl; done

clean:
	rm -rf $(VENV) build *.egg-info
