"""The live loop measured: event ingest over HTTP, and how soon an acknowledged event shows in the next list.

Starts `hybrid-recsys serve` on the bundle at $HRS_MODEL_DIR (default models/latest) with a fresh event database, once on an
SQLite file and once on a PostgreSQL 16 server started here (the pgserver wheel), the client on this machine too:

1. Ingest: --batches batches of 100 click events (random known users and items) sent one after another, then by 4 clients at
   once: events per second, and p50 / p99 time per batch (each answered only after its commit).
2. Freshness (SQLite): --probes times, a user's list is read, the user buys its first item, and the list is read again at
   once: the time from the purchase's acknowledgement to a list without that item (the second read), p50 / p99, and
   whether every second list reflected the event. Meanwhile 8 clients ask for recommendations and one client streams
   events (batches of 10, about 300 events per second): recommendation throughput and p50 / p99 while events stream in,
   beside the same 8 clients with no events, and beside an idle server (the probes alone: the floor of freshness).
Run after `make run`: `.venv/bin/python benchmarks/live.py`.
"""
import argparse, asyncio, os, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd

from harness import KEY, ROOT, free_port, recorded, start


def events(prefix: str, n: int, users: np.ndarray, items: np.ndarray, rng) -> list[dict]:
    return [{"event_id": f"{prefix}-{i}", "user_id": str(u), "item_id": str(t), "type": "click"}
            for i, (u, t) in enumerate(zip(rng.choice(users, n), rng.choice(items, n)))]


async def ingest(base: str, batches: list[list[dict]], concurrency: int) -> dict:
    import aiohttp
    latencies, queue = [], iter(batches)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"}) as session:
        async def client():
            for batch in queue:
                begin = time.perf_counter()
                async with session.post(f"{base}/events", json={"events": batch}) as answer:
                    assert answer.status == 200, await answer.text()
                    await answer.read()
                latencies.append((time.perf_counter() - begin) * 1000)
        begin = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        seconds = time.perf_counter() - begin
    n = sum(len(b) for b in batches)
    return {"concurrency": concurrency, "events": n, "events_per_s": n / seconds, "p50_ms": np.percentile(latencies, 50), "p99_ms": np.percentile(latencies, 99)}


async def recommendations(session, base: str, user: str) -> list[str]:
    async with session.get(f"{base}/users/{user}/recommendations", params={"k": "10"}) as answer:
        assert answer.status == 200, await answer.text()
        return [item["item_id"] for item in (await answer.json())["items"]]


async def freshness(base: str, users: np.ndarray, items: np.ndarray, probes: int, stream: bool, loaders: int = 8, seconds: float = 20.0) -> dict:
    "Probes of freshness while `loaders` clients ask for recommendations for `seconds` (and, with `stream`, events stream in)."
    import aiohttp
    rng = np.random.default_rng(1 + 2 * loaders + int(stream))
    stop, latencies, fresh_ms, reflected, streamed = asyncio.Event(), [], [], [], [0]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"}, connector=aiohttp.TCPConnector(limit=20)) as session:
        async def loader():
            while not stop.is_set():
                begin = time.perf_counter()
                await recommendations(session, base, str(rng.choice(users)))
                latencies.append((time.perf_counter() - begin) * 1000)

        async def streamer():
            batch = 0
            while not stop.is_set():
                async with session.post(f"{base}/events", json={"events": events(f"s{int(stream)}-{batch}", 10, users, items, rng)}) as answer:
                    assert answer.status == 200, await answer.text()
                batch += 1; streamed[0] += 10
                await asyncio.sleep(0.02)

        async def prober():
            for probe in range(probes):
                user = str(rng.choice(users))
                top = (await recommendations(session, base, user))[0]
                async with session.post(f"{base}/events", json={"events": [{"event_id": f"p{loaders}-{int(stream)}-{probe}", "user_id": user, "item_id": top, "type": "purchase"}]}) as answer:
                    assert answer.status == 200, await answer.text()
                acknowledged = time.perf_counter()
                after = await recommendations(session, base, user)
                fresh_ms.append((time.perf_counter() - acknowledged) * 1000); reflected.append(top not in after)
                await asyncio.sleep(seconds / probes)
            stop.set()
        begin = time.perf_counter()
        await asyncio.gather(*[loader() for _ in range(loaders)], prober(), *([streamer()] if stream else []))
        elapsed = time.perf_counter() - begin
    latencies = latencies or [float("nan")]
    return {"loaders": loaders, "events streaming": stream, "recommendations_per_s": len(latencies) / elapsed, "rec_p50_ms": np.percentile(latencies, 50),
            "rec_p99_ms": np.percentile(latencies, 99), "events_per_s": streamed[0] / elapsed, "fresh_p50_ms": np.percentile(fresh_ms, 50),
            "fresh_p99_ms": np.percentile(fresh_ms, 99), "reflected": f"{sum(reflected)}/{len(reflected)}"}


def serve(bundle: Path, database: str) -> tuple:
    port = free_port(); base = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "hybrid-recsys"), "serve", "--log-level", "warning", "--port", str(port)]
    return start(command, base, {"HRS_MODEL_DIR": str(bundle), "HRS_DATABASE_URL": database, "HRS_API_KEYS": KEY}), base


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200, help="batches of 100 events per ingest row")
    parser.add_argument("--probes", type=int, default=300, help="freshness probes per row")
    args = parser.parse_args()
    bundle = Path(os.environ.get("HRS_MODEL_DIR", ROOT / "models" / "latest"))
    users = pd.read_parquet(bundle / "users.parquet")["user_id"].astype(str).to_numpy()
    items = pd.read_parquet(bundle / "items.parquet")["item_id"].astype(str).to_numpy()
    rng = np.random.default_rng(0)
    work = Path(tempfile.mkdtemp(prefix="hrs-live-"))
    import pgserver
    os.environ.setdefault("XDG_RUNTIME_DIR", str(work))
    postgres = pgserver.get_server(work / "postgresql", cleanup_mode="stop")
    databases = {"SQLite": f"sqlite:///{work / 'events.sqlite'}", "PostgreSQL": postgres.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)}
    ingest_rows, fresh_rows = [], []
    try:
        for name, url in databases.items():
            server, base = serve(bundle, url)
            try:
                for concurrency in [int(c) for c in os.environ.get("XC", "1 4").split()]:
                    batches = [events(f"{name}-{concurrency}-{b}", 100, users, items, rng) for b in range(args.batches)]
                    ingest_rows.append({"database": name, **asyncio.run(ingest(base, batches, concurrency))})
                if name == "SQLite" and not os.environ.get("XNOFRESH"):
                    fresh_rows += [asyncio.run(freshness(base, users, items, args.probes, stream, loaders)) for loaders, stream in ((0, False), (8, False), (8, True))]
            finally:
                server.terminate(); server.wait(timeout=60)
    finally:
        postgres.cleanup()
    print(f"{os.cpu_count()} cores, server and client on this machine; batches of 100 click events over HTTP, each answered after its commit\n")
    print("| database | concurrent clients | events | events/s | batch p50 (ms) | batch p99 (ms) |\n|---|---|---|---|---|---|")
    for r in ingest_rows:
        print(f"| {r['database']} | {r['concurrency']} | {r['events']} | {r['events_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")
    print("\nFreshness and recommendations under load (SQLite; clients asking for recommendations of random users, every one with events by now):\n")
    print("| clients loading | events streaming in | events/s | recommendations/s | rec p50 (ms) | rec p99 (ms) | ack -> reflecting list p50 (ms) | p99 (ms) | lists reflecting the event |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for r in fresh_rows:
        print(f"| {r['loaders']} | {'yes' if r['events streaming'] else 'no'} | {r['events_per_s']:.0f} | {r['recommendations_per_s']:.0f} | {r['rec_p50_ms']:.1f} | "
              f"{r['rec_p99_ms']:.1f} | {r['fresh_p50_ms']:.1f} | {r['fresh_p99_ms']:.1f} | {r['reflected']} |")


if __name__ == "__main__":
    with recorded():
        main()
