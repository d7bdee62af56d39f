"""The live loop over HTTP, on SQLite and on PostgreSQL: events in through `POST /events`, the next list reflects them;
bad events get a 4xx naming the field; a server killed with SIGKILL mid-stream loses nothing it acknowledged."""
import http.client, json, os, signal, threading, time, urllib.error, urllib.request

import pytest

from conftest import API_KEY, raw_request, start_server
from hybrid_recsys.serve.events import EventStore


def request(base: str, method: str, path: str, body=None, key: str | None = API_KEY, raw: bytes | None = None) -> tuple[int, object]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {key}"} if key else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, data=data, method=method, headers=headers), timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error: return error.code, json.loads(error.read() or b"null")


def recommended(base: str, user: str, k: int = 10) -> list[str]:
    status, answer = request(base, "GET", f"/users/{user}/recommendations?k={k}")
    assert status == 200, answer
    return [item["item_id"] for item in answer["items"]]


def test_the_next_list_reflects_an_acknowledged_event(bundle, database):
    process, base = start_server(bundle, database)
    try:
        before = recommended(base, "1")
        status, answer = request(base, "POST", "/events", {"events": [{"event_id": "p1", "user_id": "1", "item_id": before[0], "type": "purchase"}]})
        assert (status, answer) == (200, {"accepted": 1, "duplicates": 0})
        after = recommended(base, "1")
        assert before[0] not in after and after != before  # what was just bought shapes the list and is never offered again
        disliked = after[0]
        request(base, "POST", "/events", {"events": [{"event_id": "d1", "user_id": "1", "item_id": disliked, "type": "dislike"}]})
        final = recommended(base, "1")
        assert disliked not in recommended(base, "1", 20)
        assert request(base, "GET", "/users/someone-new/recommendations")[0] == 404
        liked = [{"event_id": f"n{i}", "user_id": "someone-new", "item_id": item, "type": "like"} for i, item in enumerate(["50", "172", "181"])]
        assert request(base, "POST", "/events", {"events": liked})[0] == 200
        fresh = recommended(base, "someone-new")
        assert len(fresh) == 10 and not {"50", "172", "181"} & set(fresh)  # a user the bundle never saw, served from three likes
    finally:
        process.terminate(); process.wait(timeout=30)
    process, base = start_server(bundle, database)  # restarted: the same lists, read back from the database
    try: assert recommended(base, "1") == final
    finally: process.terminate(); process.wait(timeout=30)


def test_read_your_write_whichever_worker_answers(bundle, database):
    "With `serve --workers 2`, the next list after an acknowledged purchase never holds what was bought, whichever worker answers (100 tries)."
    process, base = start_server(bundle, database, workers=2)
    try:
        stale = 0
        for n in range(100):
            user = str(1 + n * 9 % 943)
            bought = recommended(base, user)[0]
            assert request(base, "POST", "/events", {"events": [{"event_id": f"buy-{n}", "user_id": user, "item_id": bought, "type": "purchase"}]})[0] == 200
            stale += bought in recommended(base, user)  # a new connection: either worker
        assert stale == 0, f"{stale} of 100 next lists still held the item just bought"
    finally:
        process.terminate(); process.wait(timeout=30)


BAD_EVENTS = {  # what is sent -> (status, the field the answer names)
    "unknown type": ({"events": [{"event_id": "x", "user_id": "1", "item_id": "50", "type": "poke"}]}, 422, ["body", "events", 0, "type"]),
    "future time": ({"events": [{"event_id": "x", "user_id": "1", "item_id": "50", "type": "view", "timestamp": time.time() + 86400}]},
                    422, ["body", "events", 0, "timestamp"]),
    "rating without value": ({"events": [{"event_id": "x", "user_id": "1", "item_id": "50", "type": "rating"}]}, 422, ["body", "events", 0]),
    "unknown item": ({"events": [{"event_id": "x", "user_id": "1", "item_id": "50", "type": "view"},
                                 {"event_id": "y", "user_id": "1", "item_id": "no-such-item", "type": "view"}]}, 404, "events[1].item_id 'no-such-item'"),
    "time as text": ({"events": [{"event_id": "x", "user_id": "1", "item_id": "50", "type": "view", "timestamp": "2024-05-01"}]},
                     422, ["body", "events", 0, "timestamp"]),
    "too many": ({"events": [{"event_id": str(i), "user_id": "1", "item_id": "50", "type": "view"} for i in range(1001)]}, 422, ["body", "events"]),
    "no events": ({"events": []}, 422, ["body", "events"]),
    "unknown field": ({"events": [{"event_id": "x", "user_id": "1", "item_id": "50", "type": "view", "colour": "red"}]}, 422, ["body", "events", 0, "colour"]),
    "empty event id": ({"events": [{"event_id": "", "user_id": "1", "item_id": "50", "type": "view"}]}, 422, ["body", "events", 0, "event_id"]),
    "blank user id": ({"events": [{"event_id": "x", "user_id": "  ", "item_id": "50", "type": "view"}]}, 422, ["body", "events", 0, "user_id"]),
    "NUL in an id": ({"events": [{"event_id": "x\u0000y", "user_id": "1", "item_id": "50", "type": "view"}]}, 422, ["body", "events", 0, "event_id"]),
    "CR LF in an id": ({"events": [{"event_id": "x", "user_id": "1\r\nSet-Cookie: a", "item_id": "50", "type": "view"}]}, 422,
                       ["body", "events", 0, "user_id"]),
}


def test_bad_events_get_a_4xx_naming_the_field_and_store_nothing(bundle, tmp_path):
    database = f"sqlite:///{tmp_path / 'events.sqlite'}"
    process, base = start_server(bundle, database)
    try:
        for case, (body, status, field) in BAD_EVENTS.items():
            got, answer = request(base, "POST", "/events", body)
            named = field in answer["detail"] if isinstance(field, str) else answer["detail"][0]["loc"] == field
            assert got == status and named, (case, got, answer)
        good = {"events": [{"event_id": "ok", "user_id": "1", "item_id": "50", "type": "view"}]}
        assert request(base, "POST", "/events", good, key=None)[0] == 401
        assert request(base, "POST", "/events", good, key="wrong")[0] == 403
        assert request(base, "POST", "/events", raw=b"{not json")[0] == 422
        answer, _ = raw_request(base, b"POST /events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                                      b"authorization: Bearer " + API_KEY.encode() + b"\r\ncontent-length: 20000000\r\n\r\n{\"events\": [")
        assert answer.startswith(b"HTTP/1.1 413") and b"the limit is 8,446,046 bytes" in answer, answer  # the largest batch the schema allows
        answer, _ = raw_request(base, b"POST /events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2000000\r\n\r\n{")
        assert answer.startswith(b"HTTP/1.1 401"), answer  # no key: refused from the headers, before a byte of the body is read
        assert EventStore(database).last_seq() == 0  # nothing of any refused batch was stored
    finally:
        process.terminate(); process.wait(timeout=30)


def test_sigkill_mid_stream_loses_no_acknowledged_event(bundle, database):
    "10,000 events in batches of 100; the server is SIGKILLed while they stream, restarted, and everything is sent again."
    batches = [[{"event_id": f"b{b}-{i}", "user_id": str(1 + (b * 100 + i) % 943), "item_id": str(1 + (b * 7 + i) % 1682), "type": "click"}
                for i in range(100)] for b in range(100)]
    process, base = start_server(bundle, database)
    acknowledged, killer = [], None
    for batch in batches:
        try: status, answer = request(base, "POST", "/events", {"events": batch})
        except (urllib.error.URLError, ConnectionError, http.client.HTTPException): break  # the server is gone (a reply cut off mid-body, IncompleteRead, acknowledged nothing)
        assert status == 200, answer
        acknowledged += [e["event_id"] for e in batch]
        if len(acknowledged) == 3000 and killer is None:  # kill it a moment later, while the next batches are in flight
            killer = threading.Timer(0.02, os.kill, (process.pid, signal.SIGKILL)); killer.start()
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL and 3000 <= len(acknowledged) < 10_000
    process, base = start_server(bundle, database)
    try:
        resent = [request(base, "POST", "/events", {"events": batch}) for batch in batches]
        assert all(status == 200 for status, _ in resent)
        assert sum(answer["duplicates"] for _, answer in resent) >= len(acknowledged)
    finally:
        process.terminate(); process.wait(timeout=30)
    stored = EventStore(database).events_since(0)["event_id"]
    assert stored.is_unique and len(stored) == 10_000 and set(acknowledged) <= set(stored)


def test_new_item_then_retrain_and_hot_swap_under_load(bundle, tmp_path):
    "PUT /items makes an item searchable at once; `hybrid-recsys retrain` publishes a new bundle and the running server swaps to it with no failed request."
    import shutil, subprocess, sys
    from pathlib import Path
    from hybrid_recsys.core import publish_dir
    link = tmp_path / "latest"
    publish_dir(link, lambda folder: shutil.copytree(Path(bundle).resolve(), folder, dirs_exist_ok=True))  # a path of its own, to publish to
    database = f"sqlite:///{tmp_path / 'events.sqlite'}"
    process, base = start_server(link, database, HRS_WATCH_S="0.5")
    try:
        item = {"title": "Arrival", "year": 2016, "genres": ["Drama", "Sci-Fi"], "text": "A linguist learns the language of alien visitors whose ships land on Earth."}
        assert request(base, "PUT", "/items/arrival-2016", item, key=None)[0] == 401
        status, stored = request(base, "PUT", "/items/arrival-2016", item)
        assert status == 201 and stored["item"]["title"] == "Arrival" and stored["created"], stored
        status, found = request(base, "GET", "/search?q=aliens+land+and+a+linguist+talks+to+them&k=3")
        assert status == 200 and found[0]["item_id"] == "arrival-2016", found
        status, answer = request(base, "POST", "/recommendations", {"query": "alien visitors and a linguist", "k": 10})
        assert "arrival-2016" in [i["item_id"] for i in answer["items"]], answer
        assert request(base, "PUT", "/items/arrival-2016", {**item, "year": 1800.5})[0] == 422
        events = [{"event_id": f"w{n}", "user_id": str(u), "item_id": i, "type": "like"} for n, (u, i) in enumerate([(1, "arrival-2016"), (2, "50"), ("fresh", "arrival-2016")])]
        assert request(base, "POST", "/events", {"events": events})[0] == 200
        version = request(base, "GET", "/health")[1]["version"]
        outcomes, stop = [], threading.Event()
        def hammer():
            while not stop.is_set():
                try: outcomes.append(request(base, "GET", f"/users/{len(outcomes) % 900 + 1}/recommendations?k=5")[0])
                except OSError as error: outcomes.append(type(error).__name__)
        clients = [threading.Thread(target=hammer) for _ in range(4)]
        for client in clients: client.start()
        try:
            retrained = subprocess.run([str(Path(sys.executable).parent / "hybrid-recsys"), "retrain", "--bundle", str(link), "--force", "--json", "--quiet"],
                                       capture_output=True, text=True, timeout=900, env={**os.environ, "HRS_DATABASE_URL": database})
            assert retrained.returncode == 0 and json.loads(retrained.stdout)["published"], retrained.stdout + retrained.stderr[-2000:]
            deadline = time.time() + 30
            while request(base, "GET", "/health")[1]["version"] == version:
                assert time.time() < deadline, "the server did not swap to the new bundle within 30 s"
                time.sleep(0.2)
            time.sleep(1)
        finally:
            stop.set()
            for client in clients: client.join()
        assert len(outcomes) > 20 and set(outcomes) == {200}, {o: outcomes.count(o) for o in set(outcomes)}
        health = request(base, "GET", "/health")[1]
        assert health["n_users"] == 944 and health["n_items"] == 1683, health  # the retrained bundle holds the new user and the new item
        assert request(base, "GET", "/items/arrival-2016")[1]["title"] == "Arrival"
        assert "arrival-2016" not in recommended(base, "fresh")  # what the user liked before the retrain is still in their history
        metrics = urllib.request.urlopen(base + "/metrics").read().decode()
        assert 'hrs_bundle_swaps_total{outcome="swapped"} 1.0' in metrics and 'hrs_items_updated_total{kind="added"} 1.0' in metrics
    finally:
        process.terminate(); process.wait(timeout=30)


def eventually(check, timeout_s: float = 5.0) -> float:
    "Seconds until `check()` is true (polled every 20 ms); fails after `timeout_s`."
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout_s: pytest.fail(f"not within {timeout_s} s")
        time.sleep(0.02)
    return time.perf_counter() - start


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # replicas share a PostgreSQL (workers on one machine may share an SQLite file: the same code; nb 21 tests it)
def test_two_replicas_serve_each_others_events_items_and_experiment(bundle, database, run_cli, tmp_path):
    "Two servers over one PostgreSQL: an event stored through one changes the other's next list; an item added through one is served by the other; both serve the same experiment the same way."
    first, first_base = start_server(bundle, database, HRS_FOLLOW_S="0.1", HRS_WATCH_S="0.3")
    second, second_base = start_server(bundle, database, HRS_FOLLOW_S="0.1", HRS_WATCH_S="0.3")
    try:
        shown = recommended(second_base, "1")
        bought = {"event_id": "replica-1", "user_id": "1", "item_id": shown[0], "type": "purchase"}
        assert request(first_base, "POST", "/events", {"events": [bought]})[0] == 200
        eventually(lambda: shown[0] not in recommended(second_base, "1"))  # the other replica followed it (the issue asks for 1 s; benchmarks/replicas.py measures it)
        assert recommended(second_base, "1") == recommended(first_base, "1")
        item = {"title": "A film added on one replica", "text": "Sailors lost at sea find an island.", "genres": ["Adventure"], "year": 1999}
        assert request(second_base, "PUT", "/items/replica-item", item)[0] == 201
        eventually(lambda: request(first_base, "GET", "/items/replica-item")[0] == 200)
        spec = tmp_path / "split.yaml"
        spec.write_text("name: replicas\nvariants: [{name: hybrid, share: 0.5}, {name: pop, share: 0.5, overrides: {sources: [pop]}}]\n")
        started = run_cli("ab", "start", spec, env={"HRS_DATABASE_URL": database, "HRS_MODEL_DIR": str(bundle)})
        assert started.returncode == 0, started.stderr
        running = lambda base: (request(base, "GET", "/experiments")[1]["running"] or {}).get("name") == "replicas"
        eventually(lambda: running(first_base) and running(second_base))
        variants = [[request(base, "GET", f"/users/{u}/recommendations?k=5")[1]["variant"] for u in range(1, 41)] for base in (first_base, second_base)]
        assert variants[0] == variants[1] and set(variants[0]) == {"hybrid", "pop"}  # each user in the same variant on both
    finally:
        for process in (first, second): process.terminate(); process.wait(timeout=60)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_unavailable_items_are_in_no_list_of_any_replica_or_variant(bundle, database, run_cli, tmp_path):
    """Property test (hypothesis draws the steps): after each acknowledged availability change, through either of two
    replicas over one PostgreSQL, no list of either holds an unavailable item: users in both variants of a running
    experiment, a newcomer's list, similar items and search; lists stay full. A restart keeps them out."""
    from hypothesis import HealthCheck, given, settings, strategies as st
    first, first_base = start_server(bundle, database, HRS_FOLLOW_S="0.1")
    second, second_base = start_server(bundle, database, HRS_FOLLOW_S="0.1")
    users, unavailable = [str(u) for u in range(1, 13)], set()

    def lists(base: str) -> dict[str, list[str]]:
        "Every list a client can be shown, 100 items each."
        out = {}
        for user in users:
            status, answer = request(base, "GET", f"/users/{user}/recommendations?k=100")
            assert status == 200, answer
            out[f"user {user} ({answer['variant']})"] = [i["item_id"] for i in answer["items"]]
        out["newcomer"] = [i["item_id"] for i in request(base, "POST", "/recommendations", {"liked_items": ["50"], "k": 100})[1]["items"]]
        out["similar"] = [i["item_id"] for i in request(base, "GET", "/items/181/similar?k=100")[1]]
        out["search"] = [i["item_id"] for i in request(base, "GET", "/search?q=space%20war&k=100")[1]]
        return out

    try:
        spec = tmp_path / "split.yaml"
        spec.write_text("name: shelves\nvariants: [{name: hybrid, share: 0.5}, {name: pop, share: 0.5, overrides: {sources: [pop]}}]\n")
        assert run_cli("ab", "start", spec, env={"HRS_DATABASE_URL": database, "HRS_MODEL_DIR": str(bundle)}).returncode == 0
        running = lambda base: (request(base, "GET", "/experiments")[1]["running"] or {}).get("name") == "shelves"
        eventually(lambda: running(first_base) and running(second_base))
        before = lists(first_base)
        assert {name.split("(")[1] for name in before if name.startswith("user")} == {"hybrid)", "pop)"}  # both variants
        pool = sorted({item for listed in before.values() for item in listed[:10]})  # items that are in lists

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(st.tuples(st.lists(st.sampled_from(pool), min_size=1, max_size=5, unique=True), st.booleans(), st.booleans()),
                        min_size=1, max_size=4))
        def check(steps):
            for items, available, through_first in steps:
                for item in items:
                    status, answer = request(first_base if through_first else second_base, "PUT", f"/items/{item}/availability",
                                             {"available": available})
                    assert status == 200 and answer["available"] is available, answer
                (unavailable.difference_update if available else unavailable.update)(items)
                for base in (first_base, second_base):  # at once: the replica that acknowledged, and the other
                    for name, listed in lists(base).items():
                        assert not unavailable & set(listed), (base, name, unavailable & set(listed))
                        assert len(listed) == 100, (base, name, len(listed))

        check()
        assert unavailable or request(first_base, "PUT", f"/items/{pool[0]}/availability", {"available": False})[0] == 200
        unavailable = unavailable or {pool[0]}
        assert request(first_base, "PUT", "/items/no-such-item/availability", {"available": False}) == (
            404, {"detail": "unknown item id 'no-such-item': nothing was stored"})
        assert request(first_base, "PUT", f"/items/{pool[0]}/availability", {"available": "no"})[0] == 422
        assert request(first_base, "PUT", f"/items/{pool[0]}/availability", {"available": False}, key=None)[0] == 401
    finally:
        for process in (first, second): process.terminate(); process.wait(timeout=60)
    process, base = start_server(bundle, database)  # restarted: read back from the database
    try:
        assert request(base, "GET", "/health")[1]["unavailable_items"] == len(unavailable)
        for name, listed in lists(base).items():
            assert not unavailable & set(listed) and len(listed) == 100, name
    finally:
        process.terminate(); process.wait(timeout=60)


def fetch(base: str, method: str, path: str, body: bytes | None = None, content_type: str = "application/json", key: str | None = API_KEY,
          cookie: str | None = None) -> tuple[int, bytes, str]:
    "(status, body, content type) of one request with raw bytes."
    headers = {"content-type": content_type, **({"authorization": f"Bearer {key}"} if key else {}), **({"cookie": cookie} if cookie else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, data=body, method=method, headers=headers), timeout=30) as answer:
            return answer.status, answer.read(), answer.headers.get("content-type", "")
    except urllib.error.HTTPError as error: return error.code, error.read(), error.headers.get("content-type", "")


def dashboard_cookie(base: str) -> str:
    "The dashboard's session cookie after signing in with the key."
    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args): return None  # the 303's Set-Cookie is what is wanted
    opener = urllib.request.build_opener(Keep)
    try: opener.open(urllib.request.Request(f"{base}/dashboard/login", data=f"key={API_KEY}&next=/dashboard".encode(), method="POST"), timeout=30)
    except urllib.error.HTTPError as error: return error.headers["set-cookie"].split(";")[0]
    pytest.fail("the sign-in did not redirect")


def test_images_only_from_the_image_folder_and_the_database_file_never_opened(bundle, tmp_path):
    """Issue 34's attack, replayed on SQLite: an item image set to /etc/passwd, to the event database or to a link out of the image folder is
    refused; paths to the database stored by an older release are never opened (at start-up by the encoder, or by the image routes), so
    another process opening the database cannot remove the server's live write-ahead log: every acknowledged event and every served list
    reported written survive a SIGKILL. Uploaded images are checked, stored and served behind the same read protection as every read."""
    import re, skimage
    from pathlib import Path
    from hybrid_recsys.serve.events import ItemUpdate
    import hybrid_recsys.serve.online  # noqa: F401 (EventStore.exposures)
    database_file = tmp_path / "events.sqlite"
    database, images = f"sqlite:///{database_file}", tmp_path / "images"
    images.mkdir(); (images / "link.jpg").symlink_to(database_file)
    store = EventStore(database)  # what the API took before: paths to the database and to /etc/passwd, stored as item versions
    store.put_item("old-db", ItemUpdate(title="Stored by an older release", image=str(database_file)))
    store.put_item("old-passwd", ItemUpdate(title="Also stored before", image="/etc/passwd"))
    store.close()
    process, base = start_server(bundle, database, HRS_IMAGE_ROOT=str(images), HRS_PROTECT_READS="1")
    try:
        for image in ("/etc/passwd", str(database_file), f"{database_file}-wal", "link.jpg", "../events.sqlite", "nothing-here.jpg"):
            status, answer = request(base, "PUT", "/items/leak", {"title": "Leak", "image": image})
            assert status in (403, 404) and str(images) not in answer["detail"], (image, status, answer)  # the folder is not named
        cookie = dashboard_cookie(base)
        for item in ("old-db", "old-passwd", "leak", "50"):
            assert fetch(base, "GET", f"/items/{item}/image")[0] == 404, item
            assert fetch(base, "GET", f"/dashboard/images/{item}", cookie=cookie)[0] == 404, item
        photo = (Path(skimage.__file__).parent / "data" / "rocket.jpg").read_bytes()
        status, answer, _ = fetch(base, "POST", "/images", photo, "image/jpeg")
        stored = json.loads(answer)["image"]
        assert status == 201 and re.fullmatch(r"uploads/[0-9a-f]{64}\.jpg", stored), answer
        assert fetch(base, "POST", "/images", b"GIF89a not really", "image/gif")[0] == 415
        assert fetch(base, "POST", "/images", photo, "image/jpeg", key=None)[0] == 401
        assert request(base, "PUT", "/items/rocket", {"title": "Rocket", "image": stored})[0] == 201
        assert fetch(base, "GET", "/items/rocket/image") == (200, photo, "image/jpeg")
        status, record = request(base, "GET", "/items/rocket")  # the record links the picture the service serves
        assert status == 200 and record["image"] == "/items/rocket/image" and fetch(base, "GET", record["image"]) == (200, photo, "image/jpeg")
        assert request(base, "GET", "/items/50")[1]["image"] is None
        status, answer = request(base, "GET", "/items/50/similar?by=image")  # ML-100K's content vectors hold no pictures to compare
        assert status == 404 and "no image vectors in this bundle" in answer["detail"], answer
        assert fetch(base, "GET", "/items/rocket/image", key=None)[0] == 401  # reads are protected here: images too
        assert fetch(base, "GET", "/dashboard/images/rocket", key=None)[0] == 401
        assert fetch(base, "GET", "/dashboard/images/rocket", key=None, cookie=cookie)[:2] == (200, photo)
        uploaded = images / stored  # served from memory by now; swapped for a link to the database, it is checked again and refused
        uploaded.unlink(); uploaded.symlink_to(database_file)
        assert fetch(base, "GET", "/items/rocket/image")[0] == 404 and fetch(base, "GET", "/dashboard/images/rocket", cookie=cookie)[0] == 404
        acknowledged, lists = [], 0
        for round_ in range(4):  # events and lists, while another process opens and closes the database between rounds
            batch = [{"event_id": f"r{round_}-{i}", "user_id": str(1 + i), "item_id": str(50 + i), "type": "click"} for i in range(10)]
            assert request(base, "POST", "/events", {"events": batch})[0] == 200
            acknowledged += [e["event_id"] for e in batch]
            for user in range(1, 11): lists += request(base, "GET", f"/users/{user}/recommendations?k=5")[0] == 200
            other = EventStore(database); other.last_seq(); other.close()
        for _ in range(100):  # every served list reported written (the exposure log writes a few times a second)
            metrics = fetch(base, "GET", "/metrics")[1].decode()
            written = int(float(re.search(r"^hrs_exposures_written (\S+)$", metrics, re.M).group(1)))
            if written >= lists: break
            time.sleep(0.1)
        assert written == lists == 40
    finally:
        process.send_signal(signal.SIGKILL); process.wait(timeout=30)
    store = EventStore(database)
    assert set(acknowledged) <= set(store.events_since(0)["event_id"]) and len(store.exposures()) == lists
