"""JupyterLab, where the notebooks are read and edited: `make lab`'s command starts headless (as root too), serves a
notebook of nbs/, and runs a cell in a real kernel."""
import json, os, subprocess, sys, time, urllib.request, uuid
from pathlib import Path

import pytest
from tornado.httpclient import HTTPRequest
from tornado.ioloop import IOLoop
from tornado.websocket import websocket_connect

from conftest import ROOT, free_port

TOKEN = uuid.uuid4().hex


def lab_command(port: int) -> list[str]:
    "What `make lab` runs (see the Makefile), on a given port and token."
    return [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--allow-root", "--ip", "127.0.0.1", "--port", str(port),
            f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={ROOT / 'nbs'}"]


def api(base: str, path: str, method: str = "GET", body: dict | None = None):
    request = urllib.request.Request(f"{base}{path}", method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response: return json.loads(response.read() or b"null")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("runtime")), "JUPYTER_CONFIG_DIR": str(tmp_path_factory.mktemp("config"))}
    process = subprocess.Popen(lab_command(port), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try: api(base, "/api/status"); break
        except OSError:
            if process.poll() is not None: pytest.fail(f"jupyter lab exited: {process.stdout.read()}")
            time.sleep(0.1)
    yield base
    process.terminate(); process.wait(timeout=30)


def test_lab_serves_its_page_and_a_notebook(lab):
    with urllib.request.urlopen(f"{lab}/lab?token={TOKEN}", timeout=30) as response:
        assert response.status == 200 and "JupyterLab" in response.read().decode()
    notebook = api(lab, "/api/contents/00_core.ipynb")
    assert notebook["type"] == "notebook" and notebook["content"]["cells"][0]["source"] == "#| default_exp core"


async def _execute(lab: str, kernel_id: str, code: str) -> list[dict]:
    "Send one execute_request over the kernel's websocket; collect its messages until the kernel is idle again."
    url = lab.replace("http", "ws") + f"/api/kernels/{kernel_id}/channels"
    socket = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {TOKEN}"}))
    msg_id = uuid.uuid4().hex
    socket.write_message(json.dumps({"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                                                "version": "5.3", "date": ""},
                                     "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                                     "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False}}))
    replies = []
    while True:
        message = json.loads(await socket.read_message())
        if message.get("parent_header", {}).get("msg_id") != msg_id: continue
        replies.append(message)
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle": break
    socket.close()
    return replies


def test_a_cell_runs_in_a_kernel(lab):
    kernel = api(lab, "/api/kernels", "POST", {"name": "python3"})
    try:
        replies = IOLoop.current().run_sync(lambda: _execute(lab, kernel["id"], "from hybrid_recsys.core import project_root\nprint(project_root().name, 6 * 7)"), timeout=120)
        output = "".join(m["content"].get("text", "") for m in replies if m["msg_type"] == "stream")
        assert output.split()[-1] == "42", replies
        failing = IOLoop.current().run_sync(lambda: _execute(lab, kernel["id"], "1 / 0"), timeout=60)
        assert any(m["msg_type"] == "error" and m["content"]["ename"] == "ZeroDivisionError" for m in failing)
    finally:
        api(lab, f"/api/kernels/{kernel['id']}", "DELETE")
