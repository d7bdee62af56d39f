"""Shared helpers for the process-boundary tests: the installed `hybrid-recsys` console script, a MovieLens-100K bundle, a real uvicorn serving it."""
import os, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "hybrid-recsys"
SERVE_BIN = ROOT / ".venv-serve" / "bin"  # the serving install (`make serve-env`: no torch): every test server runs in it
UVICORN = [str(SERVE_BIN / "python"), "-m", "uvicorn", "hybrid_recsys.api:app", "--host", "127.0.0.1", "--workers", "1", "--log-level", "warning"]


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


API_KEY = "test-key-0123456789"


def start_server(bundle, database: str, port: int | None = None, workers: int = 1, bin_dir: Path = SERVE_BIN, **env) -> tuple[subprocess.Popen, str]:
    """Start `hybrid-recsys serve` from the serving install (no torch: the bundle's ONNX graphs run; `bin_dir=CLI.parent` for the
    training install's) on the bundle and the event database (key API_KEY) and wait for /health; (process, base URL)."""
    port = port or free_port()
    if not (bin_dir / "hybrid-recsys").exists():
        pytest.fail(f"no hybrid-recsys in {bin_dir}: run `make serve-env` for the serving install (make test does)")
    process = subprocess.Popen([str(bin_dir / "hybrid-recsys"), "serve", "--port", str(port), "--workers", str(workers), "--log-level", "warning"], cwd=ROOT,
                               env={**os.environ, "HRS_MODEL_DIR": str(bundle), "HRS_DATABASE_URL": database, "HRS_API_KEYS": API_KEY, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try: urllib.request.urlopen(f"{base}/health", timeout=1); return process, base
        except OSError:
            if process.poll() is not None: pytest.fail(f"the server exited: {process.stderr.read()}")
            time.sleep(0.1)
    process.kill(); pytest.fail("the server did not answer /health within 60 s")


@pytest.fixture(scope="session")
def server(bundle, tmp_path_factory):
    "`hybrid-recsys serve` (uvicorn with header deadlines) on the bundle and an SQLite event store, on a free local port; yields its base URL."
    process, base = start_server(bundle, f"sqlite:///{tmp_path_factory.mktemp('events') / 'events.sqlite'}", HRS_REQUEST_TIMEOUT_S="2",
                                 HRS_IMAGE_ROOT=str(tmp_path_factory.mktemp("images")))
    yield base
    process.terminate(); process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium through Playwright, for one test module (`tests/browser.py` says how pages are watched). Not for the session:
    Playwright's sync API keeps an asyncio loop running while it is open, which other modules' own loops (JupyterLab's) cannot share."""
    from playwright.sync_api import sync_playwright
    from browser import launch
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def postgresql_server(tmp_path_factory):
    "A real PostgreSQL 16 server for the session (the pgserver wheel's binaries, on a Unix socket in a temporary folder); yields its admin URL."
    os.environ.setdefault("XDG_RUNTIME_DIR", str(tmp_path_factory.mktemp("runtime")))  # where platformdirs (under pgserver) keeps its run files
    import pgserver
    server = pgserver.get_server(tmp_path_factory.mktemp("postgresql"), cleanup_mode="stop")
    yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    "A fresh, empty event database URL: an SQLite file, or a new database on the session's PostgreSQL server."
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.sqlite'}"
        return
    import uuid
    import sqlalchemy as sa
    admin_url = request.getfixturevalue("postgresql_server")
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection: connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.engine.make_url(admin_url).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection: connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


def raw_request(base: str, data: bytes, wait_s: float = 0.0) -> tuple[bytes, float]:
    "Send raw bytes, optionally hold the connection open, and read until the server closes it; returns the answer and the seconds it took."
    import socket, time
    host, port = base.removeprefix("http://").split(":")
    start = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(data)
        time.sleep(wait_s)
        answer = b""
        while chunk := connection.recv(65536): answer += chunk
    return answer, time.perf_counter() - start
