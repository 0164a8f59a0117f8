# Two commands matter: `make run` (install, migrate, seed demo data, serve on
# http://127.0.0.1:8000) and `make test` (install test tools, lint, run every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test install install-dev assets browser migrate seed lint messages serve bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(PY)
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(STAMP)

install: $(STAMP) assets
install-dev: $(DEV_STAMP) assets

# Front-end files come from npm (pinned in package-lock.json) and are served by whitenoise.
static/vendor/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor/designsystemet static/vendor/htmx static/vendor/axe static/vendor/leaflet/images
	cp node_modules/@digdir/designsystemet-css/dist/src/index.css static/vendor/designsystemet/index.css
	cp node_modules/@digdir/designsystemet-css/dist/theme/designsystemet.css static/vendor/designsystemet/theme.css
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/htmx.min.js
	cp node_modules/axe-core/axe.min.js static/vendor/axe/axe.min.js
	# leaflet.js names its source map: production collectstatic (manifest storage) fails without it.
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map node_modules/leaflet/dist/leaflet.css static/vendor/leaflet/
	cp node_modules/leaflet/dist/images/*.png static/vendor/leaflet/images/
	touch $@
assets: static/vendor/.built

# Debian's Chromium for the browser tests; installed when missing and we may use apt.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "Could not install chromium: browser tests will be skipped."; \
	  else echo "No /usr/bin/chromium: browser tests will be skipped (apt-get install chromium)."; fi; \
	fi

migrate: install
	mkdir -p var
	DEBUG=true $(PY) manage.py migrate --noinput

seed: migrate
	DEBUG=true $(PY) manage.py seed_demo

serve:
	DEBUG=true DEMO_MODE=true $(BIN)/gunicorn -c config/gunicorn.conf.py config.wsgi

run: seed serve

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install-dev browser
	$(BIN)/ruff check .
	DEBUG=false SECRET_KEY=check-only-secret PSEUDONYM_KEY=check-only $(PY) manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# Extract the strings to translate into locale/nb, then compile the catalogue (the .mo is committed).
messages: $(DEV_STAMP)
	DEBUG=true $(PY) manage.py makemessages -l nb --ignore=node_modules --ignore=.venv --ignore=var --ignore=static --ignore=bench --ignore=tests
	DEBUG=true $(PY) manage.py compilemessages -l nb --ignore=.venv --ignore=node_modules

bench: install-dev
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) node_modules static/vendor var/staticfiles
