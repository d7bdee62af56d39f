"""Every notebook in nbs/ is a chapter of the library and its unit tests: run each one.

Cells flagged with a `tst_flags` flag (slow, gpu) are skipped unless HRS_TEST_FLAGS names them,
e.g. `HRS_TEST_FLAGS=slow make test`.
"""
import os
from pathlib import Path

import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_notebook  # renamed so pytest does not collect it

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith(("_", "index")))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(notebook, monkeypatch):
    monkeypatch.chdir(ROOT)
    flags = get_config(path=ROOT).tst_flags.split()
    forced = os.environ.get("HRS_TEST_FLAGS", "").split()
    ok, seconds = run_notebook(notebook, skip_flags=flags, force_flags=forced, showerr=True)
    assert ok, f"{notebook.name} failed (traceback above, in the captured stderr)"


def test_all_notebooks_found():
    assert {"00_core", "01_data", "02_splits", "03_metrics", "04_testing", "05_models", "06_evaluate", "07_als", "08_ncf", "09_retrieval", "10_encoder",
            "11_embeddings", "12_content", "13_rerank", "14_hybrid", "15_pipeline", "16_experiments", "17_reports", "17a_events", "17b_live", "17c_retrain", "17d_replay", "18_api", "19_cli"} <= {p.stem for p in NOTEBOOKS}
