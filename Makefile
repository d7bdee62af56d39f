# Two commands for a newcomer: `make run` and `make test`. Both set up .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run reports mlflow-ui test check-sync clean-cache

# Set-up is idempotent: it reruns only when a requirements or packaging file changed.
# torch goes in first and alone, so nothing that depends on it can pull another build.
$(STAMP): requirements.txt requirements-nodeps.txt constraints.txt setup.py settings.ini
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade-strategy only-if-needed \
		$$(grep -E '^(torch|torchvision)==' requirements.txt)
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

# The main job: the default experiment end to end (data, embeddings, both stages, evaluation, MLflow, report, models/latest).
run: setup
	$(BIN)/hybrid-recsys run experiments/ml100k-hybrid.yaml

# Every configuration in experiments/, each with its MLflow run and its report in reports/.
reports: setup
	@for config in experiments/*.yaml; do echo "== $$config"; start=$$(date +%s); \
		$(BIN)/hybrid-recsys run $$config --quiet || exit 1; echo "== $$config: $$(( $$(date +%s) - start )) s"; done

# The MLflow UI over the local store (http://127.0.0.1:5000).
mlflow-ui: setup
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

# Fails when the notebooks and the library are out of sync or a notebook is not clean,
# then runs every test (notebooks and tests/) under pytest.
test: setup check-sync
	$(BIN)/python -m pytest

check-sync: setup
	$(BIN)/python tools/check_nbdev_sync.py

clean-cache:
	rm -rf data/processed data/embeddings
