"""Fail when the notebooks are not as the formatter leaves them, or the library has too many lines over 120 columns.

The formatter is ruff (ruff.toml: 120 columns), applied to every code cell of nbs/ by `make format`; what it cannot break
(long strings, comments, nbdev's generated module docstrings) may leave at most 1% of the exported library's lines
over 120 characters. Run by `make test`; `.venv/bin/python tools/check_lines.py [--list]` lists the long lines.
"""
import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH, SHARE = 120, 0.01


def long_lines() -> tuple[list[str], int]:
    "Every library line over WIDTH ('file:line: length'), and the number of lines read (nbdev's index, _modidx.py, aside)."
    found, total = [], 0
    for path in sorted((ROOT / "hybrid_recsys").rglob("*.py")):
        if path.name == "_modidx.py": continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            total += 1
            if len(line) > WIDTH: found.append(f"{path.relative_to(ROOT)}:{number}: {len(line)}")
    return found, total


def main():
    ruff = Path(sys.executable).parent / "ruff"
    checked = subprocess.run([str(ruff), "format", "--check", "nbs"], cwd=ROOT, capture_output=True, text=True)
    if checked.returncode != 0:
        sys.exit(f"the notebooks are not formatted (run `make format`):\n{checked.stdout}{checked.stderr}")
    found, total = long_lines()
    if "--list" in sys.argv: print("\n".join(found))
    if len(found) > SHARE * total:
        sys.exit(f"{len(found)} of {total} library lines are over {WIDTH} characters ({len(found) / total:.1%}; at most {SHARE:.0%}): "
                 f"shorten them in their notebooks (tools/check_lines.py --list)")
    print(f"notebooks formatted; {len(found)} of {total} library lines over {WIDTH} characters ({len(found) / total:.2%})")


if __name__ == "__main__": main()
