"""Recommendations over HTTP for users without events, users with events, and users with events while more stream in.

One `hybrid-recsys serve` on the bundle at $HRS_MODEL_DIR (default models/latest) per row, 8 clients asking for random
users' lists for 15 s (after 3 s of warm-up):
1. an empty event database: every list takes the indexed road (the list evaluation scores);
2. ml-100k's held-out interactions (25,008) stored as rating events first: every user has events, every list takes the
   fold-in road (the user's bundle row plus their events, folded into every source);
3. the same server while a client streams click events for random users (batches of 10 every 20 ms, about 300 per second).
Run after `make run`: `.venv/bin/python benchmarks/roads.py`.
"""
import asyncio, os, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd

from load import ROOT, free_port, start
from swap import store_heldout_events

KEY = "benchmark-key"


async def load(base: str, users: np.ndarray, clients: int = 8, seconds: float = 15.0, items: np.ndarray | None = None) -> dict:
    "Clients asking for random users' lists for `seconds`; with `items`, one more client streams click events meanwhile."
    import aiohttp
    latencies, sent, rng, stop = [], [0], np.random.default_rng(0), time.perf_counter() + seconds
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"}, connector=aiohttp.TCPConnector(limit=clients + 2)) as session:
        async def client():
            while time.perf_counter() < stop:
                begin = time.perf_counter()
                async with session.get(f"{base}/users/{rng.choice(users)}/recommendations", params={"k": "10"}) as answer:
                    assert answer.status == 200, await answer.text()
                    await answer.read()
                latencies.append((time.perf_counter() - begin) * 1000)

        async def streamer():
            batch = 0
            while time.perf_counter() < stop:
                events = [{"event_id": f"s{batch}-{i}", "user_id": str(rng.choice(users)), "item_id": str(rng.choice(items)), "type": "click"} for i in range(10)]
                async with session.post(f"{base}/events", json={"events": events}) as answer:
                    assert answer.status == 200, await answer.text()
                batch += 1; sent[0] += 10
                await asyncio.sleep(0.02)
        await asyncio.gather(*(client() for _ in range(clients)), *([streamer()] if items is not None else []))
    return {"requests_per_s": len(latencies) / seconds, "p50_ms": np.percentile(latencies, 50), "p99_ms": np.percentile(latencies, 99),
            "events_per_s": sent[0] / seconds}


def main():
    bundle = Path(os.environ.get("HRS_MODEL_DIR", ROOT / "models" / "latest"))
    users = pd.read_parquet(bundle / "users.parquet")["user_id"].astype(str).to_numpy()
    items = pd.read_parquet(bundle / "items.parquet")["item_id"].astype(str).to_numpy()
    work, rows = Path(tempfile.mkdtemp(prefix="hrs-roads-")), []
    for name, fill in (("no events (indexed road)", False), ("every user with events (fold-in road)", True)):
        database = f"sqlite:///{work / f'{int(fill)}.sqlite'}"
        if fill: store_heldout_events(bundle, database)
        port = free_port(); base = f"http://127.0.0.1:{port}"
        server = start([str(Path(sys.executable).parent / "hybrid-recsys"), "serve", "--log-level", "warning", "--port", str(port)], base,
                       {"HRS_MODEL_DIR": str(bundle), "HRS_DATABASE_URL": database, "HRS_API_KEYS": KEY})
        try:
            asyncio.run(load(base, users, seconds=3))
            rows.append({"users": name, "streaming": "no", **asyncio.run(load(base, users))})
            if fill: rows.append({"users": name, "streaming": "yes", **asyncio.run(load(base, users, items=items))})
        finally:
            server.terminate(); server.wait(timeout=60)
    print(f"{os.cpu_count()} cores, server and clients on this machine; 8 clients, random users, k=10\n")
    print("| users | events streaming in | events/s | requests/s | p50 (ms) | p99 (ms) |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['users']} | {r['streaming']} | {r['events_per_s']:.0f} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")


if __name__ == "__main__":
    main()
