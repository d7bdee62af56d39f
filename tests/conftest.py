"""Shared helpers for the process-boundary tests: the installed `hybrid-recsys` console script, a MovieLens-100K bundle, a real uvicorn serving it."""
import os, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "hybrid-recsys"
UVICORN = [sys.executable, "-m", "uvicorn", "hybrid_recsys.api:app", "--host", "127.0.0.1", "--workers", "1", "--log-level", "warning"]


@pytest.fixture
def run_cli():
    "Run `hybrid-recsys ARGS` in a subprocess with optional extra environment; return the CompletedProcess."
    def run(*args, env=None, timeout=600):
        full_env = {**os.environ, "HRS_QUIET": "1", **(env or {})}
        return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=ROOT)
    return run


@pytest.fixture(scope="session")
def bundle(tmp_path_factory):
    "A MovieLens-100K bundle written by `hybrid-recsys pipeline` (tuned parameters, no ablation)."
    folder = tmp_path_factory.mktemp("bundle") / "ml100k"
    result = subprocess.run([str(CLI), "pipeline", "--dataset", "ml-100k", "--no-ablation", "--bundle", str(folder), "--quiet"],
                            capture_output=True, text=True, cwd=ROOT, env={**os.environ, "HRS_QUIET": "1"}, timeout=900)
    assert result.returncode == 0, result.stderr
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(bundle):
    "`hybrid-recsys serve` (uvicorn with header deadlines) serving the bundle on a free local port; yields its base URL."
    port = free_port()
    process = subprocess.Popen([str(CLI), "serve", "--port", str(port), "--log-level", "warning"], cwd=ROOT, env={**os.environ, "HRS_MODEL_DIR": str(bundle), "HRS_REQUEST_TIMEOUT_S": "2"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try: urllib.request.urlopen(f"{base}/health", timeout=1); break
        except OSError:
            if process.poll() is not None: pytest.fail(f"uvicorn exited: {process.stderr.read()}")
            time.sleep(0.1)
    yield base
    process.terminate(); process.wait(timeout=30)
