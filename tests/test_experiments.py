"""Experiment configurations through `hybrid-recsys run`: validation before training, the report via papermill, MLflow, the pyfunc."""
import json, shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    "A scratch project folder (HRS_HOME) with the report template, the tuned parameters and its own MLflow store."
    home = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "settings.ini", home / "settings.ini")
    shutil.copytree(ROOT / "reports" / "templates", home / "reports" / "templates")
    shutil.copytree(ROOT / "experiments" / "tuned", home / "experiments" / "tuned")
    env = {"HRS_HOME": str(home), "HRS_DATA_DIR": str(ROOT / "data"), "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}"}
    return home, env


TINY = """name: tiny-hybrid
description: a small two-stage run for the tests
data: {dataset: ml-100k}
protocol: ms75
model: hybrid
params: {n_candidates: 100, epochs: 10}
baselines: [ease]
recall_ns: [50, 100]
bundle: models/tiny
"""


@pytest.fixture(scope="module")
def tiny_run(project):
    home, env = project
    import os, subprocess, sys
    (home / "experiments" / "tiny-hybrid.yaml").write_text(TINY)
    cli = Path(sys.executable).parent / "hybrid-recsys"
    result = subprocess.run([str(cli), "run", "experiments/tiny-hybrid.yaml", "--quiet"], capture_output=True, text=True,
                            env={**os.environ, **env}, cwd=home, timeout=900)
    assert result.returncode == 0, result.stderr
    return home, env, result


def _report_outputs(notebook: Path) -> str:
    "Every text and HTML output of an executed notebook, joined."
    nb = nbformat.read(notebook, as_version=4)
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts.append(data.get("text/html", "") + data.get("text/markdown", "") + output.get("text", ""))
    return "\n".join(texts)


def test_report_executed_with_the_runs_metrics(tiny_run):
    home, _, result = tiny_run
    results = json.loads((home / "runs" / "tiny-hybrid" / "results.json").read_text())
    notebook = home / "reports" / "tiny-hybrid.ipynb"
    assert notebook.is_file() and (home / "reports" / "tiny-hybrid.html").is_file()
    outputs = _report_outputs(notebook)
    for model in ("ease", "fused", "hybrid"):
        assert f"{results['models'][model]['metrics']['ndcg@10']['mean']:.3f}" in outputs, model
    nb = nbformat.read(notebook, as_version=4)
    assert sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])) >= 4  # the plots
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert "**tiny-hybrid**" in outputs and "hit" in outputs  # headline and example recommendations
    assert f"report: {notebook}" in result.stdout and "serve it: HRS_MODEL_DIR=" in result.stdout and "mlflow models serve" in result.stdout


def test_mlflow_run_matches_results_and_serves_the_pyfunc(tiny_run):
    import mlflow, pandas as pd
    home, env, _ = tiny_run
    results = json.loads((home / "runs" / "tiny-hybrid" / "results.json").read_text())
    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    runs = mlflow.search_runs(experiment_names=["hybrid_recsys"], filter_string="attributes.run_name = 'tiny-hybrid'")
    assert len(runs) == 1
    run = runs.iloc[0]
    for model in ("ease", "hybrid"):
        assert abs(run[f"metrics.{model}/ndcg_at_10"] - results["models"][model]["metrics"]["ndcg@10"]["mean"]) < 1e-9
    assert run["metrics.stage1/union/recall_at_100"] > run["metrics.stage1/ease/recall_at_100"]
    assert run["tags.data_hash"] == results["data_hash"] and run["params.params.n_candidates"] == "100"
    client = mlflow.MlflowClient()
    assert client.get_metric_history(run["run_id"], "train/hybrid_re-ranker/valid_ndcg_at_10")  # per-epoch curve
    artifacts = {a.path for a in client.list_artifacts(run["run_id"])}
    assert {"bundle", "plots", "results.json"} <= artifacts  # the pyfunc is a logged model of its own (MLflow 3), loaded below
    model = mlflow.pyfunc.load_model("models:/hybrid_recsys-tiny-hybrid/latest")
    answer = model.predict(pd.DataFrame({"user_id": ["1", "2", "no-such-user"], "k": [5, 5, 5]}))
    assert list(answer.columns) == ["user_id", "rank", "item_id", "title", "score"]
    assert answer["user_id"].tolist() == ["1"] * 5 + ["2"] * 5 and answer["rank"].tolist()[:5] == [1, 2, 3, 4, 5]


def test_metrics_equal_evaluate_for_same_configuration(tiny_run, run_cli):
    home, env, _ = tiny_run
    results = json.loads((home / "runs" / "tiny-hybrid" / "results.json").read_text())
    direct = run_cli("evaluate", "--dataset", "ml-100k", "--protocol", "ms75", "--model", "hybrid", "--param", "n_candidates=100",
                     "--param", "epochs=10", "--json", env=env)
    assert direct.returncode == 0, direct.stderr
    assert json.loads(direct.stdout)["metrics"]["ndcg@10"]["mean"] == pytest.approx(results["models"]["hybrid"]["metrics"]["ndcg@10"]["mean"], abs=1e-12)


def test_typo_in_a_key_fails_before_training(project, run_cli):
    home, env = project
    (home / "experiments" / "typo.yaml").write_text(TINY.replace("name: tiny-hybrid", "name: typo").replace("recall_ns:", "recal_ns:"))
    result = run_cli("run", str(home / "experiments" / "typo.yaml"), env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {home / 'experiments' / 'typo.yaml'}: recal_ns: unknown key (expected one of "
                                                  "name, description, data, protocol, seed, k, model, params, baselines, recall_ns, bundle, report, benchmarks, mlflow)"]
    assert not (home / "runs" / "typo").exists()


def test_every_shipped_configuration_is_valid():
    from hybrid_recsys.experiments import load_config
    names = {load_config(path).name for path in (ROOT / "experiments").glob("*.yaml")}
    assert {"ml100k-hybrid", "ml100k-als", "ml100k-neumf", "ml1m-hybrid", "ml100k-cold-items", "ml1m-posters"} <= names
