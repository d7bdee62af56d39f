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


def test_private_check_passes_and_a_private_read_fails(tmp_path):
    "tools/check_private.py: the library passes; reading another module's private member, by import or attribute, fails."
    copy = _project_copy(tmp_path)
    shutil.copy2(ROOT / "tools" / "check_private.py", copy / "tools")
    check = lambda: subprocess.run([sys.executable, str(copy / "tools" / "check_private.py")], capture_output=True, text=True)
    assert check().returncode == 0
    (copy / "hybrid_recsys" / "reader.py").write_text(
        "from .core import _private_helper\n\ndef peek(model):\n    own = model._cache  # not defined in this module\n    return own\n")
    result = check()
    assert result.returncode != 0
    assert "hybrid_recsys/reader.py:1: imports _private_helper from .core" in result.stdout
    assert "hybrid_recsys/reader.py:4: reads ._cache" in result.stdout
    (copy / "hybrid_recsys" / "reader.py").write_text("class Box:\n    def __init__(self): self._cache = {}\n    def same(self, other): return other._cache\n")
    assert check().returncode == 0  # a module reading its own class's private member of another instance is its own business


def test_line_check_passes_and_fails_on_an_unformatted_cell_or_long_lines(tmp_path):
    "tools/check_lines.py: the project passes; a notebook cell the formatter would change fails, and so do long library lines past 1%."
    copy = _project_copy(tmp_path)
    shutil.copy2(ROOT / "ruff.toml", copy)
    shutil.copy2(ROOT / "tools" / "check_lines.py", copy / "tools")
    check = lambda: subprocess.run([sys.executable, str(copy / "tools" / "check_lines.py")], capture_output=True, text=True)
    assert check().returncode == 0, check().stderr
    notebook = copy / "nbs" / "00_core.ipynb"
    original = notebook.read_text()
    notebook.write_text(original.replace('"#| hide\\n",', '"#| hide\\n",\n    "x=[1,2 ,3]\\n",', 1))  # a cell as no formatter leaves it
    result = check()
    assert result.returncode != 0 and "not formatted" in result.stderr and "00_core.ipynb" in result.stdout + result.stderr
    notebook.write_text(original)
    (copy / "hybrid_recsys" / "long.py").write_text("\n".join(f"x{n} = '{'a' * 130}'" for n in range(400)) + "\n")
    result = check()
    assert result.returncode != 0 and "over 120 characters" in result.stderr
