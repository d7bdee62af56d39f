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
    assert {"00_core", "01_data", "02_splits", "03_metrics", "04_testing", "05_models", "06_evaluate", "07_als", "08_ncf", "09_retrieval", "10_encoder",
            "11_embeddings", "12_content", "13_rerank", "14_hybrid", "15_pipeline", "16_experiments", "17_reports", "17a_events", "17b_live", "17c_retrain", "17d_replay", "18_api", "19_cli"} <= {p.stem for p in NOTEBOOKS}
