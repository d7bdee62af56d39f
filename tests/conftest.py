"""Shared helpers for the process-boundary tests: run the installed `hybrid-recsys` console script."""
import os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "hybrid-recsys"


@pytest.fixture
def run_cli():
    "Run `hybrid-recsys ARGS` in a subprocess with optional extra environment; return the CompletedProcess."
    def run(*args, env=None, timeout=600):
        full_env = {**os.environ, "HRS_QUIET": "1", **(env or {})}
        return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=ROOT)
    return run
