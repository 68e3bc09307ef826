# tinydeploy - two commands do everything on a fresh machine:
#   make demo   install, generate a demo network, compile, build, run, validate, report
#   make test   the test suite (pytest)
#   make bench  benchmarks vs TFLite Micro measured in the same run
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-stamp

.PHONY: install demo test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@command -v cc >/dev/null || { echo "error: no host C compiler 'cc' (apt-get install gcc)"; exit 2; }
	touch $(STAMP)

demo: install
	$(VENV)/bin/tinydeploy demo -o out/demo

test: install
	$(PY) -m pytest -q -n 2 tests

bench: install
	$(PY) benchmarks/bench.py

clean:
	rm -rf out build .pytest_cache .hypothesis
