# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
# Two workers: the machine has two cores.
PYTEST_ARGS ?= -n 2

.PHONY: run sweep alerts test redis lint format messages makemessages migrate demo clean browser-tools search-engine search-engine-run

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

messages: $(STAMP)
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0

makemessages: $(STAMP)
	$(BIN)/python manage.py makemessages -l vi -l en --ignore=.venv --ignore=tests --ignore=node_modules --no-obsolete

migrate: $(STAMP) messages
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py load_units -v 0

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo node_modules/.package-lock.json
	@echo "Serving http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	PORT=$(PORT) $(BIN)/daphne -b $(HOST) -p $(PORT) --websocket_connect_timeout 30 config.asgi:application

# The deadline sweep, by hand in the embedded setup (production schedules it): PORT as `make run`'s,
# so that the links in its messages name the port the site is served on.
sweep: $(STAMP)
	PORT=$(PORT) $(BIN)/python manage.py sweep_deadlines

# Emerging-issue detection, by hand in the embedded setup (production runs it hourly): PORT as for sweep.
alerts: $(STAMP)
	PORT=$(PORT) $(BIN)/python manage.py detect_alerts

# Front-end packages (Chart.js, Leaflet; axe-core for the browser tests) from the npm registry, pinned in package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# The browser tests drive Debian's Chromium; install it when missing and we may.
browser-tools: node_modules/.package-lock.json
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || echo "warning: /usr/bin/chromium missing; the browser tests will fail until it is installed"

# The tests' search engine: OpenSearch in one JVM from Maven Central jars (search/engine/).
# The suite starts it once per run by itself; this target only builds it (Java 17 and Maven).
SEARCH_ENGINE_CP := search/engine/target/classpath.txt
$(SEARCH_ENGINE_CP): $(STAMP) search/engine/pom.xml $(wildcard search/engine/src/main/java/portal/search/*.java)
	@command -v mvn >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven openjdk-17-jdk-headless >/dev/null; }
	$(BIN)/python -m search.engine.launch --build-only

search-engine: $(SEARCH_ENGINE_CP)

# The engine in the foreground on 127.0.0.1:9200 (OPENSEARCH_URL=http://127.0.0.1:9200 make run uses it).
search-engine-run: $(STAMP) search-engine
	$(BIN)/python -m search.engine.launch --port 9200

# A few tests use the machine's Redis for real (Celery's broker): install it from Debian's packages
# when missing and we may, and start it when it does not answer (no disk: a throw-away server).
redis:
	@command -v redis-server >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } || true
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
	@for _ in $$(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done

test: $(STAMP) messages browser-tools search-engine redis
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var node_modules search/engine/target

# Every benchmark (bench/) at a small size, one JSON file in bench/results/; BENCH_ARGS="--size medium" etc.
.PHONY: bench
bench: $(STAMP) messages search-engine node_modules/.package-lock.json
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# The production topology of docker/compose.yml as processes on this machine (bench/prod_local.py):
# nginx on 127.0.0.1:8080 (from docker/nginx.conf) in front of two daphne replicas, the worker,
# beat, Redis, OpenSearch and a PostgreSQL database of its own; DJANGO_DEBUG=0, SMS and e-mail to
# local stubs. In the foreground until Ctrl-C; `bench/prod_local.py start|status|stop` to keep it.
.PHONY: prod-local prod-smoke
prod-local: $(STAMP) messages search-engine node_modules/.package-lock.json
	$(BIN)/python bench/prod_local.py run $(PROD_LOCAL_ARGS)

# Start it, run the smoke test through nginx (bench/prod_smoke.py), stop it whatever the result.
prod-smoke: $(STAMP) messages search-engine node_modules/.package-lock.json
	$(BIN)/python bench/prod_local.py start $(PROD_LOCAL_ARGS)
	$(BIN)/python bench/prod_smoke.py --json var/prod-local/smoke.json; status=$$?; \
	    $(BIN)/python bench/prod_local.py stop; exit $$status
