"""`make test` must fail when the notebooks and the library drift apart: prove the check can fail."""
import shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _project_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    (copy / "tools").mkdir(parents=True)
    shutil.copy2(ROOT / "settings.ini", copy)
    shutil.copy2(ROOT / "tools" / "check_nbdev_sync.py", copy / "tools")
    for name in ("nbs", "hybrid_recsys"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return copy


def _check(copy: Path):
    return subprocess.run([sys.executable, str(copy / "tools" / "check_nbdev_sync.py")], capture_output=True, text=True)


def test_in_sync_passes_and_a_hand_edit_fails(tmp_path):
    copy = _project_copy(tmp_path)
    assert _check(copy).returncode == 0
    core = copy / "hybrid_recsys" / "core.py"
    core.write_text(core.read_text() + "\nEDITED_BY_HAND = True\n")  # library edited without its notebook
    result = _check(copy)
    assert result.returncode != 0 and "hybrid_recsys/core.py" in result.stderr


def test_notebook_with_outputs_fails(tmp_path):
    copy = _project_copy(tmp_path)
    notebook = copy / "nbs" / "00_core.ipynb"
    notebook.write_text(notebook.read_text().replace('"outputs": []', '"outputs": [{"name": "stdout", "output_type": "stream", "text": ["x"]}]', 1))
    result = _check(copy)
    assert result.returncode != 0 and "nbs/00_core.ipynb" in result.stderr
