"""The service over HTTP: a real uvicorn on a MovieLens-100K bundle; every endpoint, bad inputs, a schema fuzz, start-up failures."""
import json, os, re, shutil, subprocess, urllib.error, urllib.parse, urllib.request

import pytest

from conftest import API_KEY, ROOT, UVICORN, free_port, raw_request


def call(base: str, path: str, params: dict | None = None, body: bytes | None = None) -> tuple[int, object]:
    url = f"{base}{path}" + (f"?{urllib.parse.urlencode(params, doseq=True)}" if params else "")  # a list: the parameter repeated
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"} if body is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response: raw, status = response.read(), response.status
    except urllib.error.HTTPError as error: raw, status = error.read(), error.code
    try: return status, json.loads(raw)
    except ValueError: return status, raw.decode()


def test_health_and_readiness(server):
    status, health = call(server, "/health")
    assert status == 200 and health["status"] == "ok" and (health["n_users"], health["n_items"]) == (943, 1682)
    assert health["dataset"] == "ml-100k" and health["metrics"]["ndcg@10"] > 0.4
    assert health["bundle"] == "ml100k" and "/" not in health["version"]  # no path on disk in a public answer
    assert call(server, "/ready") == (200, {"ready": True})


def test_user_recommendations(server):
    status, answer = call(server, "/users/1/recommendations", {"k": 10})
    assert status == 200 and answer["user_id"] == "1" and len(answer["items"]) == 10
    first = answer["items"][0]
    assert set(first) == {"item_id", "title", "year", "genres", "image", "score", "sources", "source_ranks", "rules", "because"} and first["sources"]
    assert set(first["source_ranks"]) == set(first["sources"]) and all(rank >= 0 for rank in first["source_ranks"].values())
    assert [i["score"] for i in answer["items"]] == sorted((i["score"] for i in answer["items"]), reverse=True)


def test_newcomer_recommendations(server):
    status, liked = call(server, "/recommendations", body=json.dumps({"liked_items": ["50", "172"], "k": 5}).encode())
    assert status == 200 and liked["user_id"] is None and len(liked["items"]) == 5
    assert "181" in [i["item_id"] for i in liked["items"]] and not {"50", "172"} & {i["item_id"] for i in liked["items"]}
    status, query = call(server, "/recommendations", body=json.dumps({"query": "animated toys come to life", "k": 3}).encode())
    assert status == 200 and query["items"][0]["item_id"] == "1" and query["items"][0]["sources"] == ["content"]
    status, numbers = call(server, "/recommendations", body=json.dumps({"liked_items": [50, 172], "k": 5}).encode())
    assert status == 200 and numbers["items"] == liked["items"]  # JSON numbers are read as the raw ids they spell
    status, popular = call(server, "/recommendations", body=b"{}")
    assert status == 200 and len(popular["items"]) == 10 and popular["items"][0]["item_id"] == "50"  # nobody: the most popular film


def test_one_road_for_api_pyfunc_and_evaluation(server, bundle):
    "The same user gets the same list from the service, the MLflow pyfunc and the evaluation's call."
    import pandas as pd
    from types import SimpleNamespace
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.experiments import HybridPyfunc
    from hybrid_recsys.pipeline import load_bundle
    from hybrid_recsys.splits import split_dataset
    loaded = load_bundle(bundle)
    pyfunc = HybridPyfunc()
    pyfunc.load_context(SimpleNamespace(artifacts={"bundle": str(bundle)}))
    split = split_dataset(load_dataset("ml-100k"), "ms75", seed=42)
    for raw in ("1", "2", "500"):
        served = [item["item_id"] for item in call(server, f"/users/{raw}/recommendations", {"k": 10})[1]["items"]]
        predicted = pyfunc.predict(None, pd.DataFrame({"user_id": [raw], "k": [10]}))["item_id"].tolist()
        evaluated, _ = loaded.model.recommend([loaded.user_index(raw)], split.csr("test_seen"), N=10)
        assert served == predicted == loaded.items["item_id"].astype(str).to_numpy()[evaluated[0]].tolist(), raw


def test_items_similar_and_search(server):
    assert call(server, "/items/50")[1] == {"item_id": "50", "title": "Star Wars", "year": 1977,
                                             "genres": ["Action", "Adventure", "Romance", "Sci-Fi", "War"], "image": None}
    status, content = call(server, "/items/50/similar", {"k": 3, "by": "content"})
    assert status == 200 and {"181", "172"} <= {i["item_id"] for i in content}
    status, cf = call(server, "/items/50/similar", {"k": 10, "by": "cf"})
    assert status == 200 and len(cf) == 10 and "50" not in {i["item_id"] for i in cf}
    status, found = call(server, "/search", {"q": "jedi knights in space", "k": 5})
    assert status == 200 and {"181", "50"} <= {i["item_id"] for i in found}


@pytest.fixture(scope="module")
def catalog(bundle):
    "The bundle's items as the test reads them itself (genre sets, years), and its users' training rows."
    import pandas as pd
    from hybrid_recsys.pipeline import load_bundle
    loaded = load_bundle(bundle)
    items = pd.read_parquet(bundle / "items.parquet")
    return dict(ids=items["item_id"].astype(str).tolist(), genres=[set(str(g).split("|")) - {""} if g is not None else set() for g in items["genres"]],
                years=[None if pd.isna(y) else int(y) for y in pd.to_numeric(items["year"], errors="coerce")],
                seen=lambda raw: set(loaded.items["item_id"].astype(str).to_numpy()[loaded.model.train_csr[loaded.user_index(raw)].indices]))


def passes(params: dict, item_id: str, genres: set, year) -> bool:
    "The filter's meaning, written out again here: what every listed item must satisfy."
    return ((not params.get("genres") or bool(genres & set(params["genres"])))
            and set(params.get("all_genres", [])) <= genres
            and (params.get("year_min") is None or (year is not None and year >= params["year_min"]))
            and (params.get("year_max") is None or (year is not None and year <= params["year_max"]))
            and ("allow" not in params or item_id in params["allow"]) and item_id not in params.get("deny", []))


def test_filters_hold_on_every_list(server, catalog):
    """Property test over random filters (hypothesis): every list holds only items that pass, and exactly min(k, items that
    pass and may be listed) of them: a user's list (their seen items excluded; the filter in the URL, and in a body), a
    newcomer's, similar items and search."""
    from hypothesis import HealthCheck, given, settings, strategies as st
    ids, genre_names = catalog["ids"], sorted(set().union(*catalog["genres"]))
    some_ids = st.lists(st.sampled_from(ids), max_size=50, unique=True)  # what a URL takes (MAX_QUERY_IDS)

    @st.composite
    def filters(draw):
        params = {"genres": draw(st.lists(st.sampled_from(genre_names), max_size=3, unique=True)),
                  "all_genres": draw(st.lists(st.sampled_from(genre_names), max_size=2, unique=True)),
                  "deny": draw(some_ids)}
        years = sorted(draw(st.lists(st.integers(1920, 2000), min_size=2, max_size=2)))
        params["year_min"], params["year_max"] = [draw(st.sampled_from([None, y])) for y in years]
        if draw(st.booleans()):  # an allow-list (an empty one cannot be written in a query string)
            params["allow"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=50, unique=True))
        return {key: value for key, value in params.items() if value not in (None, [])}

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(filters(), st.sampled_from(["1", "7", "405", "900"]), st.integers(1, 100))
    def check(params, user, k):
        passing = {i for i, g, y in zip(ids, catalog["genres"], catalog["years"]) if passes(params, i, g, y)}
        query = {"k": k, **params}
        answers = {
            "user": (call(server, f"/users/{user}/recommendations", query), passing - catalog["seen"](user)),
            "newcomer": (call(server, "/recommendations", body=json.dumps({"liked_items": ["50"], "k": k, "filter": params}).encode()),
                         passing - {"50"}),
            "user, with a body": (call(server, f"/users/{user}/recommendations", body=json.dumps({"k": k, "filter": params}).encode()),
                                  passing - catalog["seen"](user)),
            "similar": (call(server, "/items/50/similar", query), passing - {"50"}),
            "search": (call(server, "/search", {"q": "a war in space", **query}), passing),
        }
        for road, ((status, answer), eligible) in answers.items():
            assert status == 200, (road, answer)
            listed = answer if road in ("similar", "search") else answer["items"]
            assert {i["item_id"] for i in listed} <= eligible, (road, params)
            assert len(listed) == min(k, len(eligible)), (road, params, k, len(listed), len(eligible))

    check()


def test_bad_filters_are_422_naming_the_field(server):
    status, answer = call(server, "/users/1/recommendations", {"genres": "Jazz"})
    assert status == 422 and answer["detail"][0]["loc"] == ["query", "genres"]
    assert "unknown genre 'Jazz'; the catalog's genres are Action, Adventure" in answer["detail"][0]["msg"]
    status, answer = call(server, "/search", {"q": "space", "year_min": 1999, "year_max": 1990})
    assert status == 422 and answer["detail"][0]["loc"] == ["query", "year_min"] and "upside down" in answer["detail"][0]["msg"]
    deny = {"k": 5, "filter": {"deny": [str(i) for i in range(10_001)]}}
    status, answer = call(server, "/users/1/recommendations", body=json.dumps(deny).encode())
    assert status == 422 and answer["detail"][0]["loc"] == ["body", "filter", "deny"] and "at most 10000 items" in answer["detail"][0]["msg"]
    deny["filter"]["deny"] = deny["filter"]["deny"][:10_000]  # 10,000 are taken: every film of the catalog denied
    assert call(server, "/users/1/recommendations", body=json.dumps(deny).encode())[0] == 200
    assert call(server, "/users/1/recommendations", body=json.dumps(deny).encode())[1]["items"] == []
    status, answer = call(server, "/users/1/recommendations?" + "&".join(f"deny={i}" for i in range(51)))
    assert status == 422 and answer["detail"][0]["loc"] == ["query", "deny"] and "at most 50 items" in answer["detail"][0]["msg"]
    status, answer = call(server, "/recommendations", body=json.dumps({"k": 3, "filter": {"genres": ["Jazz"]}}).encode())
    assert status == 422 and answer["detail"][0]["loc"] == ["body", "filter", "genres"] and "unknown genre 'Jazz'" in answer["detail"][0]["msg"]
    status, answer = call(server, "/recommendations", body=json.dumps({"filter": {"year_min": 2000, "year_max": 1990}}).encode())
    assert status == 422 and answer["detail"][0]["loc"] == ["body", "filter", "year_min"]
    schema = call(server, "/openapi.json")[1]["paths"]["/users/{user_id}/recommendations"]["get"]["parameters"]
    documented = {p["name"]: p for p in schema}
    assert {"genres", "all_genres", "year_min", "year_max", "allow", "deny"} <= set(documented)
    assert "Western" in documented["genres"]["schema"]["items"]["enum"] and documented["deny"]["schema"]["maxItems"] == 50
    body = call(server, "/openapi.json")[1]["components"]["schemas"]["ListFilter"]["properties"]
    assert "Western" in body["genres"]["items"]["enum"] and body["deny"]["maxItems"] == 10_000


def test_the_diversity_knob_spreads_the_lists(server):
    """diversity=0.9 (MMR over content vectors) keeps each list's first item and spreads the rest over more genres than
    the model's order, in the URL and in a body; out of range or as a string, it is a 422."""
    import numpy as np
    def lists(params, body=None):
        out = []
        for user in range(1, 31):
            status, answer = call(server, f"/users/{user}/recommendations", params, body)
            assert status == 200 and len(answer["items"]) == 10, answer
            out.append(answer["items"])
        return out
    genres = lambda found: np.mean([len({g for item in items for g in item["genres"]}) for items in found])
    plain, spread = lists({"k": 10}), lists({"k": 10, "diversity": 0.9})
    ids = lambda found: [[item["item_id"] for item in items] for items in found]
    assert [items[0] for items in ids(plain)] == [items[0] for items in ids(spread)]  # the most relevant leads either way
    assert genres(spread) > genres(plain), (genres(plain), genres(spread))
    assert ids(lists(None, json.dumps({"k": 10, "diversity": 0.9}).encode())) == ids(spread)
    assert call(server, "/users/1/recommendations", {"diversity": 1.5})[0] == 422
    assert call(server, "/users/1/recommendations", body=b'{"diversity": "0.5"}')[0] == 422


def test_explanations_name_the_users_own_items(server, catalog):
    "explain=true: each item names up to 3 items of the user's own history, largest share first; the list itself is the same."
    status, explained = call(server, "/users/1/recommendations", {"k": 5, "explain": "true"})
    assert status == 200, explained
    for item in explained["items"]:
        shares = [b["share"] for b in item["because"]]
        assert 1 <= len(shares) <= 3 and shares == sorted(shares, reverse=True) and min(shares) > 0, item
        assert {b["item_id"] for b in item["because"]} <= catalog["seen"]("1"), item
    plain = call(server, "/users/1/recommendations", {"k": 5})[1]["items"]
    assert [i["item_id"] for i in plain] == [i["item_id"] for i in explained["items"]] and all(i["because"] == [] for i in plain)
    newcomer = call(server, "/recommendations", body=json.dumps({"liked_items": ["50", "172"], "k": 3, "explain": True}).encode())[1]
    assert all({b["item_id"] for b in i["because"]} <= {"50", "172"} for i in newcomer["items"])
    assert any(i["because"] for i in newcomer["items"])
    assert call(server, "/users/1/recommendations", {"explain": "perhaps"})[0] == 422


def test_docs_render_offline(server):
    status, page = call(server, "/docs")
    assert status == 200 and "/docs-assets/swagger-ui-bundle.js" in page and "cdn.jsdelivr" not in page  # rendered: tests/test_browser.py
    assert call(server, "/docs-assets/swagger-ui.css")[0] == 200
    assert "/recommendations" in call(server, "/openapi.json")[1]["paths"]


@pytest.mark.parametrize("path, params, body, status, message", [
    ("/users/nobody/recommendations", None, None, 404, "unknown user id 'nobody'"),
    ("/items/99999", None, None, 404, "unknown item id '99999'"),
    ("/items/99999/similar", None, None, 404, "unknown item id '99999'"),
    ("/users/1/recommendations", {"k": 1000000}, None, 422, "less than or equal to 100"),
    ("/users/1/recommendations", {"k": -5}, None, 422, "greater than or equal to 1"),
    ("/users/1/recommendations", {"k": "ten"}, None, 422, "valid integer"),
    ("/items/50/similar", {"by": "color"}, None, 422, "'content', 'image' or 'cf'"),
    ("/search", {"q": ""}, None, 422, "at least 1 character"),
    ("/search", {"q": "   "}, None, 422, "should match pattern"),
    ("/users/1/recommendations/", None, None, 404, "Not Found"),
    ("/recommendations", None, b"{\"liked_items\": [", 422, "JSON decode error"),
    ("/recommendations", None, b"{\"liked_items\": [true]}", 422, "valid string"),
    ("/recommendations", None, b"{\"liked_items\": [50.5]}", 422, "valid string"),
    ("/recommendations", None, b"{\"liked_items\": [\"nope\"]}", 404, "unknown item id 'nope'"),
    ("/recommendations", None, b"{\"query\": \"x\", \"k\": 0}", 422, "greater than or equal to 1"),
    ("/recommendations", None, b"{\"query\": \"x\", \"colour\": 1}", 422, "Extra inputs are not permitted"),
])
def test_bad_inputs_get_4xx_with_a_message(server, path, params, body, status, message):
    got, answer = call(server, path, params, body)
    assert got == status, answer
    assert message in json.dumps(answer), answer


def test_oversized_body_is_refused_at_once_and_health_stays_fast(server):
    "A 500 MB body is refused with 413 from its Content-Length, before it is sent, while /health keeps answering in milliseconds."
    import threading, time
    answers = []
    def attack(): answers.append(raw_request(server, b"POST /recommendations HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                                                    b"content-length: 500000000\r\n\r\n[" + b"1," * 1000))
    attackers = [threading.Thread(target=attack) for _ in range(3)]
    for thread in attackers: thread.start()
    latencies = []
    for _ in range(20):
        start = time.perf_counter(); assert call(server, "/health")[0] == 200; latencies.append(time.perf_counter() - start)
    for thread in attackers: thread.join()
    assert all(a.startswith(b"HTTP/1.1 413") and b"the limit is 50," in a and seconds < 2 for a, seconds in answers), answers
    assert sorted(latencies)[-2] < 0.05, latencies


def test_slow_body_is_cut_off(server):
    "A body shorter than its Content-Length (or one sent too slowly) gets 408 when HRS_REQUEST_TIMEOUT_S (2 s here) runs out."
    answer, seconds = raw_request(server, b"POST /recommendations HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                                           b"content-length: 100\r\n\r\n{\"k\": 5")
    assert answer.startswith(b"HTTP/1.1 408") and b"did not arrive within 2 s" in answer and 1.5 < seconds < 5, (answer, seconds)


def test_slow_headers_are_cut_off(server):
    "100 clients trickling header lines, one every half second, are all disconnected soon after HRS_REQUEST_TIMEOUT_S (2 s here)."
    import socket, threading, time
    host, port = server.removeprefix("http://").split(":")
    held = []
    def trickle():
        start = time.perf_counter()
        with socket.create_connection((host, int(port)), timeout=30) as connection:
            try:
                connection.sendall(b"GET /health HTTP/1.1\r\n")
                for _ in range(40): connection.sendall(b"x-slow: 1\r\n"); time.sleep(0.5)
                held.append(("still open after 20 s", time.perf_counter() - start)); return
            except OSError: held.append(("cut", time.perf_counter() - start))
    clients = [threading.Thread(target=trickle) for _ in range(100)]
    for thread in clients: thread.start()
    for thread in clients: thread.join()
    assert {state for state, _ in held} == {"cut"} and max(seconds for _, seconds in held) < 6, sorted(held, key=lambda h: h[1])[-3:]
    assert call(server, "/health")[0] == 200


def test_unicode_queries(server):
    for text in ("とトイ・ストーリー", "Amélie 🎬", "\u202e reversed", "a" * 1000):
        status, answer = call(server, "/search", {"q": text, "k": 3})
        assert status == 200 and len(answer) == 3, (text, answer)


def test_schemathesis_all_checks(server):
    """schemathesis's own run against the live server with `--checks all` and no exception configured: no 5xx, documented status codes,
    schema-valid requests accepted and invalid ones rejected, bodies and headers as the schema says. Its image bodies are real images
    (tests/schemathesis_hooks.py): the schema can say "binary", not "a PNG Pillow decodes"."""
    import sys
    from pathlib import Path
    result = subprocess.run([str(Path(sys.executable).parent / "schemathesis"), "run", f"{server}/openapi.json", "--checks", "all",
                             "--header", f"Authorization: Bearer {API_KEY}", "--max-examples", "40", "--seed", "1", "--no-color"],
                            capture_output=True, text=True, timeout=600, cwd=ROOT / "tests", env={**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks"})
    summary = result.stdout[result.stdout.find("SUMMARY"):]
    assert result.returncode == 0 and "Tested: 17" in summary and " passed" in summary and "failed" not in summary, result.stdout[-4000:]
    generated = int(re.search(r"(\d+) generated, ", summary).group(1))
    assert generated > 300, summary  # every phase ran: examples, coverage, fuzzing, stateful


def _startup(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(UVICORN + ["--port", str(free_port())], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_missing_bundle_fails_in_one_line(tmp_path):
    result = _startup({"HRS_MODEL_DIR": str(tmp_path / "nothing")})
    assert result.returncode != 0
    lines = [l for l in result.stderr.strip().splitlines() if l.strip()]
    assert lines == [f"error: cannot start the service: model bundle {tmp_path / 'nothing'}: no such folder "
                     f"(run the pipeline first, e.g. `hybrid-recsys pipeline --bundle {tmp_path / 'nothing'}`)"], result.stderr


def _edit_json(path, change):
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def _edit_parquet(path, change):
    import pandas as pd
    change(pd.read_parquet(path)).to_parquet(path)


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _short_vectors(path):
    import numpy as np
    with np.load(path) as arrays: saved = {k: arrays[k] for k in arrays.files}
    saved["item_vectors"] = saved["item_vectors"][:-1]
    np.savez(path, **saved)


CORRUPTIONS = {  # file under the bundle -> how it is broken, and what the one line must name
    "garbage npz": ("model/sources/als/arrays.npz", lambda p: p.write_bytes(b"garbage"), "als"),
    "truncated npz": ("model/sources/session_ease/arrays.npz", _truncate, "session_ease"),  # ML-100K's tuned sources name session EASE
    "duplicate user id": ("users.parquet", lambda p: _edit_parquet(p, lambda f: f.assign(user_id=[f["user_id"].iloc[1]] + f["user_id"].tolist()[1:])), "appears twice"),
    "missing title": ("items.parquet", lambda p: _edit_parquet(p, lambda f: f.drop(columns="title")), "no 'title' column"),
    "manifest is a list": ("manifest.json", lambda p: p.write_text("[1, 2]"), "holds a JSON list"),
    "metrics as a string": ("manifest.json", lambda p: _edit_json(p, lambda m: {**m, "metrics": "great"}), "field 'metrics'"),
    "n_users as text": ("manifest.json", lambda p: _edit_json(p, lambda m: {**m, "n_users": "943"}), "field 'n_users'"),
    "damaged re-ranker graph": ("model/reranker/reranker.onnx", lambda p: p.write_bytes(b"garbage"), "reranker.onnx: not a readable ONNX graph"),
    "damaged text tower": ("model/sources/content/encoder/text.onnx", _truncate, "text.onnx: not a readable ONNX graph"),
    "vectors short of the items": ("model/sources/content/arrays.npz", _short_vectors, "'item_vectors' has shape (1681,"),
    "encoder from a hub": ("model/sources/content/params.json",
                           lambda p: _edit_json(p, lambda m: {**m, "params": {**m["params"], "encoder": "hf-hub:someone/model"}}), "HRS_ALLOWED_ENCODERS"),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_corrupted_bundle_fails_in_one_line(bundle, tmp_path, corruption):
    "Each way a bundle's content can be wrong stops the server at start-up with one line that says what, not a traceback or a 500 later."
    relative, corrupt, named = CORRUPTIONS[corruption]
    broken = tmp_path / "broken"
    shutil.copytree(bundle.resolve(), broken)
    corrupt(broken / relative)
    result = _startup({"HRS_MODEL_DIR": str(broken)})
    assert result.returncode == 2, result.stderr
    lines = [l for l in result.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot start the service: model bundle {broken}") and named in lines[0], result.stderr


def test_idle_connections_never_lock_out_new_clients(bundle, tmp_path):
    """Issue 34's attack from other processes: 999 keep-alive connections refreshed with a /health every 4 s, then 2,000. A new client's
    /health (p99 under 50 ms) and its recommendations are answered throughout: one client's connections past its cap, and everyone's past
    the process's cap, make room by closing the longest idle; no new client gets a 503."""
    import signal, sys, time
    from conftest import start_server
    process, base = start_server(bundle, f"sqlite:///{tmp_path / 'events.sqlite'}")
    holders = []
    def hold(count: int, *sources: str):
        holder = subprocess.Popen([sys.executable, str(ROOT / "tests" / "idle_clients.py"), base, str(count), *sources], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "ready"
        holders.append(holder)
    def fresh_client() -> list[float]:
        "200 requests for /health over about 6 s (while the held connections send theirs), each on a new connection; their seconds, sorted."
        latencies = []
        for _ in range(200):
            start = time.perf_counter()
            status, _ = call(base, "/health")
            latencies.append(time.perf_counter() - start)
            assert status == 200
            time.sleep(0.03)
        assert call(base, "/users/1/recommendations", {"k": 10})[0] == 200
        return sorted(latencies)
    try:
        hold(999, "127.0.0.2", "127.0.0.3")  # under every cap
        assert fresh_client()[197] < 0.05
        hold(1001, "127.0.0.4", "127.0.0.5", "127.0.0.6")  # 2,000 in all: the process's cap (1,000) closes the longest idle
        assert fresh_client()[197] < 0.05
        hold(600, "127.0.0.7")  # one client past its own cap (500)
        assert fresh_client()[197] < 0.05
    finally:
        stats = []
        for holder in holders:
            holder.send_signal(signal.SIGTERM); stats.append(json.loads(holder.communicate(timeout=60)[0].strip().splitlines()[-1]))
        process.terminate(); process.wait(timeout=30)
    assert stats[0].get("closed by the server", 0) > 0 and not any(s.get("status 503") for s in stats), stats  # room was made, never refused
    assert stats[2]["closed by the server"] >= 100, stats
