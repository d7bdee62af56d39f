# Two commands for a newcomer: `make run` and `make test`. Both set up .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup serve-env browser podman images stack run reports mlflow-ui lab docs format test check-sync clean-cache

# Set-up is idempotent: it reruns only when a requirements or packaging file changed.
# torch goes in first and alone, so nothing that depends on it can pull another build.
$(STAMP): requirements.txt requirements-train.txt requirements-serve.txt requirements-nodeps.txt constraints.txt setup.py settings.ini
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade-strategy only-if-needed \
		$$(grep -E '^(torch|torchvision)==' requirements-train.txt)
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

# The serving install (requirements-serve.txt: no torch, bundles run their ONNX graphs) in its own environment, where
# the tests serve a bundle the way a production image does.
SERVE_VENV := .venv-serve
$(SERVE_VENV)/.installed: requirements-serve.txt constraints.txt setup.py settings.ini
	@test -x $(SERVE_VENV)/bin/python || $(PYTHON) -m venv $(SERVE_VENV)
	$(SERVE_VENV)/bin/python -m pip install --quiet -c constraints.txt -r requirements-serve.txt
	$(SERVE_VENV)/bin/python -m pip install --quiet --no-deps -e .
	@touch $@

serve-env: $(SERVE_VENV)/.installed

# Debian's Chromium, which the browser tests drive through Playwright (Playwright's own browser download is out of reach
# offline). Installed once with apt-get (as root, or through sudo).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Debian's podman (with runc and debootstrap), which builds the images and runs the compose stack here (no Docker engine,
# no registry; docs/deploy.md); podman-compose comes from PyPI with .venv (Debian's 1.0.3 cannot run host networking).
# Installed once with apt-get (as root, or through sudo).
podman:
	@command -v podman >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 || { \
		echo "installing Debian's podman, runc and debootstrap for the images and the stack"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq podman runc debootstrap >/dev/null; }

# The service's images, built with podman on a Debian base made with debootstrap: hybrid-recsys:serve (no torch),
# hybrid-recsys:train and a PostgreSQL image for the stack.
images: setup podman
	$(BIN)/python tools/stack.py images

# The compose stack for real (deploy/podman/compose.host.yml): two API replicas over PostgreSQL, the retrain job and MLflow,
# under load, with a replica killed and a retrain swapped in; then taken down. make test runs it (tests/test_stack.py).
stack: setup podman
	$(BIN)/python tools/stack.py check

# The main job: the default experiment end to end (data, embeddings, both stages, evaluation, MLflow, report, models/latest).
run: setup
	$(BIN)/hybrid-recsys run experiments/ml100k-hybrid.yaml

# The MovieLens-1M posters, for the tests and reports that use them: ../shared/data/ml-1m-posters
# (never committed: see its README) unless HRS_POSTERS_DIR names another copy.
POSTERS ?= $(abspath ../shared/data/ml-1m-posters)

# Every configuration in experiments/, each with its MLflow run and its report in reports/.
reports: setup
	@for config in experiments/*.yaml; do echo "== $$config"; start=$$(date +%s); \
		HRS_POSTERS_DIR="$${HRS_POSTERS_DIR:-$(POSTERS)}" $(BIN)/hybrid-recsys run $$config --quiet || exit 1; echo "== $$config: $$(( $$(date +%s) - start )) s"; done

# The MLflow UI over the local store (http://127.0.0.1:5000).
mlflow-ui: setup
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

# JupyterLab over the notebooks; it prints the URL with its token (works as root too).
lab: setup
	$(BIN)/jupyter lab --no-browser --allow-root --ip 127.0.0.1 --port 8888 --ServerApp.root_dir=nbs

# Format every notebook's code (ruff, 120 columns: ruff.toml), then export and clean: what `make test` checks.
format: setup
	$(BIN)/ruff format nbs
	cd nbs && ../$(BIN)/nbdev_export && ../$(BIN)/nbdev_clean

# The documentation site, offline (MkDocs: tools/build_docs.py says why): the README, docs/, benchmarks/ and every chapter
# with its outputs, in _site/ (serve it with `.venv/bin/python -m http.server -d _site`). Chapters run by `make test` are reused.
docs: setup
	HRS_POSTERS_DIR="$${HRS_POSTERS_DIR:-$(POSTERS)}" $(BIN)/python tools/build_docs.py

# Fails when the notebooks and the library are out of sync or a notebook is not clean,
# then runs every test (notebooks and tests/) under pytest, the posters' tests on $(POSTERS).
test: setup serve-env browser podman check-sync
	HRS_POSTERS_DIR="$${HRS_POSTERS_DIR:-$(POSTERS)}" $(BIN)/python -m pytest

check-sync: setup
	$(BIN)/python tools/check_nbdev_sync.py
	$(BIN)/python tools/check_private.py
	$(BIN)/python tools/check_lines.py

clean-cache:
	rm -rf data/processed data/embeddings
