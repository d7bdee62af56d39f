"""Fail when `nbdev_export` or `nbdev_clean` would change a file (notebooks and library out of sync).

Runs both commands on a copy of the project in a temporary folder, so the working tree is never
touched, and lists every file they would change.
"""
import filecmp, os, shutil, subprocess, sys, tempfile
from pathlib import Path

root = Path(__file__).resolve().parents[1]
bin_dir = Path(sys.executable).parent
watched = ["nbs", "hybrid_recsys"]

with tempfile.TemporaryDirectory() as tmp:
    copy = Path(tmp) / "project"
    copy.mkdir()
    shutil.copy2(root / "settings.ini", copy)
    for name in watched:
        shutil.copytree(root / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for command in ("nbdev_export", "nbdev_clean"):
        # nbdev_export silently does nothing when IN_TEST is set (nbdev's own test runner sets it)
        env = {k: v for k, v in os.environ.items() if k != "IN_TEST"}
        result = subprocess.run([str(bin_dir / command)], cwd=copy, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            sys.exit(f"{command} failed:\n{result.stdout}{result.stderr}")
    changed = []
    for name in watched:
        for path in sorted((copy / name).rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts: continue
            original = root / path.relative_to(copy)
            if not original.exists() or not filecmp.cmp(path, original, shallow=False):
                changed.append(str(path.relative_to(copy)))
    if changed:
        sys.exit("notebooks and library are out of sync or unclean; run `nbdev_export && nbdev_clean` and commit:\n  "
                 + "\n  ".join(changed))
print("nbdev_export and nbdev_clean change nothing: notebooks and library are in sync.")
