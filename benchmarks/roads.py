"""Recommendations over HTTP for users without events, users with events, and users with events while more stream in.

One `hybrid-recsys serve` on the bundle at $HRS_MODEL_DIR (default models/latest) per row, 8 clients asking for random
users' lists for 15 s (after 3 s of warm-up):
1. an empty event database: every list takes the indexed road (the list evaluation scores);
2. ml-100k's held-out interactions (25,008) stored as rating events first: every user has events, every list takes the
   fold-in road (the user's bundle row plus their events, folded into every source);
3. the same server while a client streams click events for random users (batches of 10 every 20 ms, about 300 per second).
Run after `make run`: `.venv/bin/python benchmarks/roads.py`.
"""
import asyncio, os, sys, tempfile
from pathlib import Path

import pandas as pd

from harness import KEY, ROOT, free_port, load_users, recorded, start, store_heldout_events

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
            asyncio.run(load_users(base, users, seconds=3))
            rows.append({"users": name, "streaming": "no", **asyncio.run(load_users(base, users))})
            if fill: rows.append({"users": name, "streaming": "yes", **asyncio.run(load_users(base, users, items=items))})
        finally:
            server.terminate(); server.wait(timeout=60)
    print(f"{os.cpu_count()} cores, server and clients on this machine; 8 clients, random users, k=10\n")
    print("| users | events streaming in | events/s | requests/s | p50 (ms) | p99 (ms) |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['users']} | {r['streaming']} | {r['events_per_s']:.0f} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")


if __name__ == "__main__":
    with recorded():
        main()
