"""benchmarks/harness.py: the one writer of results, and the README table generated from them."""
import importlib, json, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
harness = importlib.import_module("harness")


def test_readme_results_table_is_generated_from_the_files():
    "The README's table is what the results files say now: a figure copied by hand, or a results file added without it, fails."
    text = harness.README.read_text()
    generated = text.split(harness.START, 1)[1].split(harness.END, 1)[0].strip()
    assert generated == harness.results_table(), "benchmarks/README.md is stale: run .venv/bin/python benchmarks/harness.py"
    for path in harness.RESULTS.glob("*.md"): assert f"(results/{path.name})" in generated


def test_write_results_keeps_command_date_rows_and_the_table(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(f"# benchmarks/\n\n{harness.START}\n{harness.END}\n\nafter\n")
    monkeypatch.setattr(harness, "RESULTS", tmp_path / "results"); monkeypatch.setattr(harness, "README", readme)
    monkeypatch.setattr(sys, "argv", ["benchmarks/speedy.py", "--rows", "2"])
    written = harness.write_results("speedy", "Two rows on a test machine.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", {"rows": [1, 2]})
    text = written.read_text()
    assert text.startswith("# benchmarks/speedy.py\n\nMeasured ") and "`benchmarks/speedy.py --rows 2`" in text
    saved = json.loads((tmp_path / "results" / "speedy.json").read_text())
    assert saved["rows"] == [1, 2] and saved["command"] == "benchmarks/speedy.py --rows 2"
    table = readme.read_text()
    assert "| [`speedy.md`](results/speedy.md) |" in table and "Two rows on a test machine." in table and table.endswith("after\n")
    assert not list((tmp_path / "results").glob(".*.partial"))  # written whole, then renamed into place
    readme.write_text("# no markers\n")
    try: harness.write_readme(); raise AssertionError("a README without the markers must be refused")
    except SystemExit as error: assert "markers are missing" in str(error)


def test_recorded_keeps_what_a_script_prints(tmp_path, monkeypatch, capsys):
    "A script whose printed tables are its results: kept under a name from its arguments; --no-write prints only; a failure writes nothing."
    readme = tmp_path / "README.md"
    readme.write_text(f"{harness.START}\n{harness.END}\n")
    monkeypatch.setattr(harness, "RESULTS", tmp_path / "results"); monkeypatch.setattr(harness, "README", readme)
    monkeypatch.setattr(sys, "argv", ["benchmarks/pipeline.py", "--dataset", "ml-1m"])
    with harness.recorded():
        print("Setting: one core.\n\n| stage | p99 (ms) |\n|---|---|\n| both | 8.8 |")
    assert "| both | 8.8 |" in capsys.readouterr().out  # still printed
    text = (tmp_path / "results" / "pipeline_dataset_ml-1m.md").read_text()
    assert "`benchmarks/pipeline.py --dataset ml-1m`" in text and "| both | 8.8 |" in text
    monkeypatch.setattr(sys, "argv", ["benchmarks/gc.py", "--no-write"])
    with harness.recorded(): print("| a |")
    assert sys.argv == ["benchmarks/gc.py"] and not (tmp_path / "results" / "gc.md").exists()
    monkeypatch.setattr(sys, "argv", ["benchmarks/gc.py"])
    try:
        with harness.recorded():
            print("| half a table |"); raise RuntimeError("the run failed")
    except RuntimeError: pass
    assert not (tmp_path / "results" / "gc.md").exists()
