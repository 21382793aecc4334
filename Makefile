# Two commands do all set-up on a fresh machine (python3 and make only):
#   make run   - the help desk on SQLite with demo data, at http://127.0.0.1:5000
#   make test  - the whole suite (again on PostgreSQL when TEST_POSTGRES_URL is set)
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install db demo lint bench phone calls clean chromium graphviz screenshots constraints

# Debian packages the console needs: Graphviz draws the call-flow pictures, Chromium runs the
# browser tests (Playwright drives it; no Playwright browser download).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT  := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

# constraints.txt pins every dependency to the versions of a passing install (reproducible).
$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

db: $(STAMP)
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask ivr demo load

run: db graphviz
	@echo "Help desk on http://$(HOST):$(PORT)  -  call it with: make phone PORT=$(PORT)"
	@echo "The demo desk is open every day, all day, with every analyst logged out: a caller is"
	@echo "offered a callback. To hear the offer to hold and the hold itself, put an analyst on a"
	@echo "break first (make phone PORT=$(PORT) FROM=+15550142001, key 2468#, then 2), then call."
	@echo "The scheduler (outbound calls, SLA sweep) runs beside it; both stop with Ctrl-C."
	@$(BIN)/flask ivr scheduler & sched=$$!; \
	trap 'kill $$sched 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Calls the server `make run` started (same HOST and PORT: make run PORT=5101, then
# make phone PORT=5101); FROM=+393331234567 calls as that number, CALL_LANG=ms picks a language.
phone: $(STAMP)
	$(BIN)/flask ivr call --server http://$(HOST):$(PORT) $(if $(FROM),--from $(FROM)) \
		$(if $(CALL_LANG),--lang $(CALL_LANG))

# docs/calls/*.txt: three whole calls (English, Italian, Malay) made with the terminal phone
# against the line served on CALLS_PORT from a fresh demo database (docs/calls/record.py).
CALLS_PORT ?= 5100
calls: $(STAMP)
	$(BIN)/python docs/calls/record.py $(CALLS_PORT)

graphviz:
	@command -v dot >/dev/null 2>&1 || { $(APT) update -qq && $(APT) install -y -qq graphviz; } \
		|| echo "!! could not install graphviz: the admin pages will show no flow picture"

chromium:
	@test -x /usr/bin/chromium || { $(APT) update -qq && $(APT) install -y -qq chromium; } \
		|| echo "!! could not install chromium: the browser tests will be skipped"

test: $(STAMP) chromium graphviz
	$(BIN)/pytest -q
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_POSTGRES_URL)"; \
		TEST_DATABASE_URL="$$TEST_POSTGRES_URL" $(BIN)/pytest -q; \
	fi

screenshots: $(STAMP) chromium graphviz  ## docs/screenshots/*.png from the browser tests
	SCREENSHOTS=1 $(BIN)/pytest -q tests/browser

lint: $(STAMP)  ## ruff, the import contracts (pyproject.toml) and mypy on the three packages
	$(BIN)/ruff check ivr call_scripts tickets tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/step_cost.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/dispatch.py
	$(BIN)/python bench/http_load.py
	$(BIN)/python bench/hold_scaling.py
	$(BIN)/python bench/call_length.py

# Re-pin constraints.txt to the newest versions pyproject.toml allows (then run make test).
constraints:
	rm -rf .venv-pin && $(PY) -m venv .venv-pin
	.venv-pin/bin/pip install --quiet --upgrade pip
	.venv-pin/bin/pip install --quiet -e '.[dev]'
	{ sed -n '/^#/p' constraints.txt; .venv-pin/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-pin

clean:
	rm -rf $(VENV) .venv-pin instance *.egg-info
