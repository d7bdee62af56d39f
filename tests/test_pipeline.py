"""The two-stage pipeline end to end through the CLI: stage-1 recall, the ablation, the targets, the bundle."""
import json

import pytest

from hybrid_recsys.pipeline import load_bundle


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    "One pipeline run on MovieLens-100K / ms75 with the ablation, its bundle in a temporary folder."
    import os, subprocess, sys
    from pathlib import Path
    bundle = tmp_path_factory.mktemp("models") / "latest"
    cli = Path(sys.executable).parent / "hybrid-recsys"
    result = subprocess.run([str(cli), "pipeline", "--dataset", "ml-100k", "--protocol", "ms75", "--bundle", str(bundle), "--json"],
                            capture_output=True, text=True, env={**os.environ, "HRS_QUIET": "1"}, timeout=900)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), bundle


def test_two_stage_beats_every_single_model(pipeline_run):
    payload, _ = pipeline_run
    metrics = payload["hybrid"]["metrics"]
    assert metrics["ndcg@10"]["mean"] >= 0.49, metrics["ndcg@10"]
    assert metrics["precision@10"]["mean"] >= 0.425, metrics["precision@10"]
    assert payload["reference"] == "ease"
    by_model = {e["model"]: e["metrics"]["ndcg@10"]["mean"] for e in payload["evaluations"]}
    assert set(by_model) == {"pop", "ease", "als", "content", "fused", "hybrid"}
    assert by_model["hybrid"] == max(by_model.values())


def test_paired_interval_against_best_single_model_excludes_zero(pipeline_run):
    payload, _ = pipeline_run
    hybrid = payload["paired_ndcg"]["hybrid"]
    assert hybrid["difference"]["low"] > 0 and hybrid["p_value"] < 0.01 and hybrid["wins"] > hybrid["losses"], hybrid
    assert payload["paired_ndcg"]["fused"]["difference"]["high"] < 0  # fused candidates alone are worse than EASE: stage 2 earns the gain


def test_stage1_union_recall_beats_every_source(pipeline_run):
    payload, _ = pipeline_run
    recall_100 = payload["stage1"]["recall@100"]
    singles = {k: v for k, v in recall_100.items() if k in ("session_ease", "als", "content", "pop")}  # ML-100K's tuned sources
    assert len(singles) == 4 and recall_100["union"] > max(singles.values()), recall_100


def test_bundle_loads_and_serves(pipeline_run):
    payload, bundle = pipeline_run
    assert payload["bundle"] == str(bundle)
    loaded = load_bundle(bundle)
    manifest = loaded.manifest
    assert manifest["dataset"] == "ml-100k" and manifest["protocol"] == "ms75" and len(manifest["data_hash"]) > 0
    assert abs(manifest["metrics"]["stage2"]["ndcg@10"] - payload["hybrid"]["metrics"]["ndcg@10"]["mean"]) < 1e-4
    assert manifest["config"]["params"]["sources"] == ["session_ease", "als", "content", "pop"]  # experiments/tuned/ml-100k-ms75-hybrid.yaml
    items, scores = loaded.model.recommend([0], loaded.model.train_csr, N=10)
    assert items.shape == (1, 10) and (items >= 0).all() and not loaded.model.train_csr[0, items[0]].toarray().any()
    assert list(loaded.items.columns[:3]) == ["item_id", "title", "year"] and len(loaded.users) == 943


def test_evaluate_hybrid_from_the_cli(run_cli):
    result = run_cli("evaluate", "--dataset", "ml-100k", "--protocol", "ms75", "--model", "hybrid", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["model"] == "hybrid" and payload["metrics"]["ndcg@10"]["mean"] >= 0.49
