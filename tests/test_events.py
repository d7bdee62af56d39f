"""The event store on both databases it supports: an SQLite file and a real PostgreSQL server (started by the `database` fixture).

Every test here runs once per backend: idempotent batches, all-or-nothing conflicts, concurrent writers racing on the same
event ids, migrations from several processes at once, and a writer killed with SIGKILL mid-stream losing nothing it acknowledged.
"""
import json, os, signal, subprocess, sys, textwrap, threading, time

import pytest
import sqlalchemy as sa

from hybrid_recsys.serve.events import Conflict, Event, EventStore, ItemUpdate, schema_version


def events(prefix: str, n: int, user=lambda i: str(i % 7), item=lambda i: str(i % 50)) -> list[Event]:
    return [Event(event_id=f"{prefix}{i}", user_id=user(i), item_id=item(i), type="click") for i in range(n)]


def test_batches_are_idempotent_and_all_or_nothing(database):
    store = EventStore(database)
    assert schema_version(store.engine) == 4 and store.last_seq() == 0
    first = store.add_events(events("a", 100))
    assert (first.accepted, first.duplicates) == (100, 0) and [r.seq for r in first.rows] == sorted(r.seq for r in first.rows)
    resent = store.add_events(events("a", 100)[50:] + events("b", 10))
    assert (resent.accepted, resent.duplicates) == (10, 50) and len(store.events_since(0)) == 110  # (PostgreSQL spends numbers on skipped duplicates)
    assert sorted(r.event_id for r in resent.rows) == sorted(f"b{i}" for i in range(10))
    before = store.last_seq()
    with pytest.raises(Conflict, match="'a3' is already stored with other content"):
        store.add_events(events("c", 5) + [Event(event_id="a3", user_id="other", item_id="1", type="click")])
    assert store.last_seq() == before and store.events_since(before).empty  # the batch's good events were not stored either
    assert store.counts() == {"click": 110}
    rating = Event(event_id="r1", user_id="u", item_id="i", type="rating", value=4.5, timestamp=1714564800, request_id="req-1")
    store.add_events([rating])
    row = store.user_events(["u"]).iloc[0]
    assert (row["type"], row["value"], row["timestamp"], row["request_id"]) == ("rating", 4.5, 1714564800.0, "req-1")
    assert list(store.user_events(["0"], after_seq=100)["event_id"]) == ["b0", "b7"]
    store.close()


def test_items_latest_version_wins(database):
    store = EventStore(database)
    first = store.put_item("new-1", ItemUpdate(title="Arrival", genres=["Drama", "Sci-Fi"], year=2016))
    store.put_item("new-2", ItemUpdate(title="Heat", text="Cops and robbers.", image="https://example.org/heat.jpg"))
    store.put_item("new-1", ItemUpdate(title="Arrival", genres=["Sci-Fi"], year=2016))
    latest = store.items_since(0).set_index("item_id")
    assert list(latest.index) == ["new-2", "new-1"] and latest.loc["new-1", "genres"] == "Sci-Fi"
    assert list(store.items_since(first)["item_id"]) == ["new-2", "new-1"] and store.items_since(10**9).empty
    store.close()


def test_concurrent_writers_store_each_event_once(database):
    "Eight threads send overlapping batches at once (as replicas would after a client's retry): every id is stored exactly once."
    store = EventStore(database)
    results, errors = [], []

    def writer(offset: int):
        try:
            for start in range(0, 400, 50):  # ids 0..399, each batch overlapping with the other threads' batches
                results.append(store.add_events(events("e", 400)[(start + offset) % 400:][:50]))
        except Exception as error: errors.append(error)
    threads = [threading.Thread(target=writer, args=(25 * k,)) for k in range(8)]
    for thread in threads: thread.start()
    for thread in threads: thread.join()
    assert not errors, errors
    stored = store.events_since(0)
    assert len(stored) == 400 and stored["event_id"].is_unique and sum(r.accepted for r in results) == 400
    assert list(stored["seq"]) == sorted(stored["seq"])
    store.close()


def test_migrations_from_several_processes_at_once(database):
    "Four processes open a new database at the same moment: the schema is made once, and each sees the newest version."
    script = "import sys; from hybrid_recsys.serve.events import EventStore, schema_version; print(schema_version(EventStore(sys.argv[1]).engine))"
    processes = [subprocess.Popen([sys.executable, "-c", script, database], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, [err for _, err in outputs]
    assert [out.strip() for out, _ in outputs] == ["4"] * 4
    with EventStore(database).engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM schema_version").scalar() == 4


def test_a_version_1_database_is_migrated_with_its_events(database, monkeypatch):
    "A database made by the previous release (schema 1: events and items) gains the experiment tables, the time indexes and item availability at start-up; nothing stored is lost."
    from hybrid_recsys.serve import events as module
    monkeypatch.setattr(module, "MIGRATIONS", module.MIGRATIONS[:1])
    old = EventStore(database)
    old.add_events(events("v1-", 30))
    assert schema_version(old.engine) == 1 and not sa.inspect(old.engine).has_table("exposures")
    old.close()
    monkeypatch.undo()
    store = EventStore(database)
    assert schema_version(store.engine) == 4 and len(store.events_since(0)) == 30 and sa.inspect(store.engine).has_table("item_availability")
    assert store.add_exposures([{"request_id": "r", "user_id": "1", "experiment": None, "variant": None, "items": "[]", "teams": None, "propensities": None,
                                 "history_seq": 0, "k": 10, "latency_ms": 1.0, "status": "ok", "served_at": 0.0}]) == 1


WRITER = textwrap.dedent("""
    import sys
    from hybrid_recsys.serve.events import Event, EventStore
    store = EventStore(sys.argv[1])
    for batch in range(10_000):
        ids = [f"k{batch}-{i}" for i in range(20)]
        store.add_events([Event(event_id=e, user_id=str(i), item_id="x", type="view") for i, e in enumerate(ids)])
        print(" ".join(ids), flush=True)  # acknowledged: printed only after the commit returned
""")


def test_sigkill_loses_nothing_acknowledged(database):
    "A writer killed with SIGKILL mid-stream: every event it acknowledged is stored, and its unacknowledged batch is whole or absent."
    writer = subprocess.Popen([sys.executable, "-c", WRITER, database], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acknowledged = []
    deadline = time.monotonic() + 120
    while len(acknowledged) < 2000 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line: break
        acknowledged += line.split()
    os.kill(writer.pid, signal.SIGKILL); writer.wait()
    acknowledged += writer.stdout.read().split()  # lines printed before the kill
    assert len(acknowledged) >= 2000, writer.stderr.read()
    store = EventStore(database)
    stored = set(store.events_since(0)["event_id"])
    assert set(acknowledged) <= stored
    batches = {event_id.split("-")[0] for event_id in stored}
    assert all(sum(e.startswith(b + "-") for e in stored) == 20 for b in batches)  # no half batch
    store.close()
