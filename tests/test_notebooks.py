"""Every notebook in nbs/ is a chapter of the library and its unit tests: run each one.

Cells flagged with a `tst_flags` flag (slow, gpu) are skipped unless HRS_TEST_FLAGS names them,
e.g. `HRS_TEST_FLAGS=slow make test`. Each chapter runs as nbdev_test runs it, through the docs builder
(tools/build_docs.py), which keeps the executed chapter for the documentation site (tests/test_site.py).
"""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_docs  # noqa: E402

NOTEBOOKS = build_docs.chapters()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(notebook, monkeypatch):
    monkeypatch.chdir(ROOT)
    ok, seconds = build_docs.execute(notebook, build_docs.skip_flags(), showerr=True)
    assert ok, f"{notebook.name} failed (traceback above, in the captured stderr)"


def test_all_notebooks_found():
    "Both wings' chapters are found: the offline wing's in nbs/, the serving wing's in nbs/serve/."
    offline = {"00_core", "01_data", "02_splits", "03_metrics", "04_testing", "05_models", "06_evaluate", "07_als", "07a_spark", "08_ncf", "08a_vae",
               "09_retrieval", "10_encoder", "10a_portable", "11_embeddings", "12_content", "13_rerank", "14_hybrid", "15_pipeline", "16_experiments", "17_reports", "30_cli"}
    serving = {"20_events", "21_live", "21a_rules", "22_retrain", "23_replay", "24_online", "25_abstats", "26_simulate", "27_dashboard", "28_guards", "29_api"}
    found = {p.relative_to(ROOT / "nbs").with_suffix("").as_posix() for p in NOTEBOOKS}
    assert offline | {f"serve/{name}" for name in serving} == found, found
