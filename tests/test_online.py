"""Online experiments across process boundaries: `hybrid-recsys ab` against a real server and database; every served list
logged (10,000 requests, none lost); simulated users find a real difference (A/B and interleaving) and a broken split."""
import json, os, signal, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from conftest import API_KEY, ROOT, start_server
from hybrid_recsys.serve.events import EventStore
import hybrid_recsys.serve.online  # noqa: F401 (EventStore's experiment methods)


@pytest.fixture
def experiment_server(bundle, tmp_path, run_cli):
    "A server on the bundle and a fresh SQLite database that reads the experiments every 0.3 s; `ab(args)` runs the CLI against the same database."
    database = f"sqlite:///{tmp_path / 'events.sqlite'}"
    env = {"HRS_DATABASE_URL": database, "HRS_MODEL_DIR": str(bundle), "HRS_API_KEYS": API_KEY}
    process, base = start_server(bundle, database, HRS_WATCH_S="0.3")
    yield base, (lambda *args: run_cli("ab", *args, env=env)), EventStore(database), tmp_path, process
    if process.poll() is None: process.terminate(); process.wait(timeout=60)


def get(base: str, path: str):
    with urllib.request.urlopen(base + path, timeout=30) as answer: return answer.status, json.loads(answer.read())


def wait_running(base: str, name):
    import time
    for _ in range(100):
        if (get(base, "/experiments")[1]["running"] or {}).get("name") == name: return
        time.sleep(0.1)
    pytest.fail(f"the server did not pick up experiment {name!r}")


def write(folder, name: str, text: str):
    path = folder / f"{name}.yaml"; path.write_text(text); return path


BAD = {  # file text -> what the one-line error names
    "shares": ("name: x\nvariants: [{name: a, share: 0.5}, {name: b, share: 0.3}]\n", "(top level): the variants' shares add up to 0.8, not 1"),
    "unknown key": ("name: x\nvariants: [{name: a, share: 0.5}, {name: b, share: 0.5, overrides: {depht: 3}}]\n", "variants.1.overrides.depht: unknown key"),
    "missing bundle": ("name: x\nvariants: [{name: a, share: 0.5}, {name: b, share: 0.5, bundle: /no/such/bundle}]\n", "experiment 'x', variant 'b'"),
    "unknown source": ("name: x\nvariants: [{name: a, share: 0.5}, {name: b, share: 0.5, overrides: {sources: [bpr]}}]\n", "variant 'b': sources ['bpr']"),
}


def test_experiments_are_configured_served_and_every_list_logged(experiment_server):
    base, ab, store, folder, process = experiment_server
    for name, (text, message) in BAD.items():  # refused at configuration time, with one line naming the problem; the service goes on
        result = ab("start", write(folder, name, text))
        assert result.returncode == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1, (name, result.stderr)
    assert get(base, "/experiments")[1]["running"] is None and get(base, "/users/1/recommendations")[0] == 200
    spec = "name: pop-test\nvariants: [{name: hybrid, share: 0.5}, {name: pop, share: 0.5, overrides: {sources: [pop]}}]\n"
    assert ab("start", write(folder, "pop", spec)).returncode == 0
    moved = ab("start", write(folder, "moved", spec.replace("share: 0.5}, {", "share: 0.6}, {").replace("share: 0.5,", "share: 0.4,")))
    assert moved.returncode == 2 and "is running with another configuration" in moved.stderr, moved.stderr
    wait_running(base, "pop-test")
    def fetch(n):  # 10,000 requests, 8 at a time, over users known and unknown (404s are not exposures)
        try: status, body = get(base, f"/users/{n % 1000 + 1}/recommendations?k=5")
        except urllib.error.HTTPError as error: return error.code, None
        return status, body["variant"]
    with ThreadPoolExecutor(8) as pool: answers = list(pool.map(fetch, range(10_000)))
    served = sum(status == 200 for status, _ in answers)
    assert served == 9430 and {v for s, v in answers if s == 200} == {"hybrid", "pop"}
    process.send_signal(signal.SIGTERM); process.wait(timeout=60)  # a graceful stop writes what is queued
    logged = store.exposures("pop-test")
    assert (logged["status"] == "ok").sum() == served and (logged["status"] == "NotFound").sum() == 10_000 - served  # no list lost, errors kept apart
    assert logged.groupby("user_id")["variant"].nunique().max() == 1  # sticky: a user's variant never changed
    unknown = ab("report", "no-such-experiment")
    assert unknown.returncode == 2 and "no experiment 'no-such-experiment'" in unknown.stderr, unknown.stderr
    report = json.loads(ab("report", "pop-test", "--json").stdout)
    assert not report["srm"]["mismatch"] and {v["variant"]: v["errors"] for v in report["variants"]} == {
        "hybrid": int(((logged["variant"] == "hybrid") & (logged["status"] != "ok")).sum()), "pop": int(((logged["variant"] == "pop") & (logged["status"] != "ok")).sum())}


def test_simulated_users_find_the_better_ranker_and_a_broken_split(experiment_server):
    base, ab, store, folder, _ = experiment_server
    spec = "name: tdi\nmode: interleave\nvariants: [{name: hybrid}, {name: pop, overrides: {sources: [pop]}}]\n"
    assert ab("start", write(folder, "tdi", spec)).returncode == 0
    wait_running(base, "tdi")
    simulated = ab("simulate", "--url", base, "--sessions", "1", "--run", "t1", "--json")
    assert simulated.returncode == 0, simulated.stderr
    result = json.loads(ab("report", "tdi", "--json").stdout)["interleaving"]
    assert result["significant"] and result["win_rate"] > 0.6 and result["users_preferring"]["hybrid"] > result["users_preferring"]["pop"]
    assert ab("stop", "tdi").returncode == 0
    spec = "name: aa-fault\nvariants: [{name: a, share: 0.5}, {name: b, share: 0.5}]\n"
    assert ab("start", write(folder, "aa", spec)).returncode == 0
    wait_running(base, "aa-fault")
    assert ab("simulate", "--url", base, "--sessions", "1", "--run", "t2", "--drop", "b=0.2").returncode == 0
    report = json.loads(ab("report", "aa-fault", "--json").stdout)
    assert report["srm"]["mismatch"], report["srm"]  # a fifth of b's users never reached their list: the split is reported broken
    listed = ab("list").stdout
    assert "tdi" in listed and "stopped" in listed and "aa-fault" in listed and "running" in listed


def test_assignment_is_the_same_in_another_process():
    "A user's variant is a function of the salt and the id: a process with another hash seed assigns the same."
    import subprocess, sys
    from hybrid_recsys.serve.online import parse_experiment
    spec = {"name": "sticky", "variants": [{"name": "a", "share": 0.3}, {"name": "b", "share": 0.7}]}
    here = [parse_experiment(spec).variant_of(str(u)) for u in range(2000)]
    script = ("import json, sys; from hybrid_recsys.serve.online import parse_experiment; e = parse_experiment(json.loads(sys.argv[1])); "
              "print(json.dumps([e.variant_of(str(u)) for u in range(2000)]))")
    there = subprocess.run([sys.executable, "-c", script, json.dumps(spec)], capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "12345"}, timeout=120)
    assert there.returncode == 0, there.stderr
    assert json.loads(there.stdout) == here and 0.25 < here.count("a") / len(here) < 0.35


def test_every_shipped_experiment_starts_and_reports_before_its_first_list(experiment_server, bundle):
    """Each file in experiments/online starts on the bundle `make run` builds; before any list its report is a report of nothing (HTTP and CLI),
    and no public answer names a place on disk or the database."""
    base, ab, store, folder, process = experiment_server
    files = sorted((ROOT / "experiments" / "online").glob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        name = yaml.safe_load(path.read_text())["name"]
        started = ab("start", path)
        assert started.returncode == 0, (path.name, started.stderr)
        wait_running(base, name)
        status, report = get(base, f"/experiments/{name}/report")
        assert status == 200 and report["lists"] == 0 and report["experiment"] == name, report
        printed = ab("report", name)
        assert printed.returncode == 0 and f"experiment {name}" in printed.stdout and "0 lists served" in printed.stdout, printed.stderr
        status, state = get(base, "/experiments")
        text = json.dumps(state)
        assert state["running"]["name"] == name and str(bundle) not in text and str(folder) not in text and "sqlite" not in text, text
        assert ab("stop", name).returncode == 0
    try: get(base, "/experiments/no-such-experiment/report"); pytest.fail("expected a 404")
    except urllib.error.HTTPError as error:
        answer = error.read().decode()
        assert error.code == 404 and "no-such-experiment" in answer and "sqlite" not in answer and str(folder) not in answer, answer
