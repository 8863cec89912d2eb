# yunzhang — two commands: `make run` (serve the demo on SQLite) and `make test` (everything the tests need, then pytest).
VENV   := .venv
BIN    := $(VENV)/bin
PYTHON ?= python3
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the tests drive for real: PostgreSQL server, Chromium, a CJK font for screenshots,
# Prometheus (promtool for the alert-rule tests).
TEST_DEBS := postgresql chromium fonts-wqy-zenhei prometheus
# pytest workers (pytest-xdist), one per core of the 2-core target; each starts its own PostgreSQL and Chromium.
TEST_WORKERS ?= 2
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench bench-pg bench-scale install system-deps demo clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	# fake-switches (emulated Cisco switches for the device tests) pins a Twisted that fails on Python 3.11:
	# install it without its dependencies, then the ones it really needs (../shared/FIELD-NOTES.md).
	$(BIN)/pip install -q --disable-pip-version-check --no-deps fake-switches
	$(BIN)/pip install -q --disable-pip-version-check 'twisted[conch]' tftpy netaddr lxml
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/yunzhang db upgrade
	$(BIN)/yunzhang demo load
	@echo "云长 yunzhang: http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/docs)"
	$(BIN)/yunzhang serve --host $(HOST) --port $(PORT)

system-deps:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

lint: install
	$(BIN)/ruff check .

test: install system-deps lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# Every benchmark on SQLite and on a throw-away durable PostgreSQL (bench/pgsettings.py), side by side.
# A quick run: make bench YUNZHANG_BENCH_FRACTION=0.1 (every size × 0.1).
bench: install system-deps
	$(BIN)/python bench/run.py

bench-pg: install system-deps
	$(BIN)/python bench/run.py --db postgresql

# inventory and zombies on PostgreSQL at 20,000 and 200,000 systems: how each figure grew.
bench-scale: install system-deps
	$(BIN)/python bench/run.py --scale

clean:
	rm -rf $(VENV) var .pytest_cache
