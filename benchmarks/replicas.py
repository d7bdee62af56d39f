"""Two replicas over one PostgreSQL: how soon an event stored through one changes the other's next list, and a load test of both.

Starts a PostgreSQL 16 server (the pgserver wheel) and two `hybrid-recsys serve` processes on the bundle at $HRS_MODEL_DIR
(default models/latest), each following the other every HRS_FOLLOW_S (default 0.2 s). While 8 clients ask both replicas for
random known users' lists (a load test: every answer must be a 200), a prober, --probes times: reads a random user's list
from replica B, stores a purchase of its top item through replica A, and polls B every 5 ms until that item has left B's
list. The seconds from A's acknowledgement to that moment is the propagation delay. Prints its percentiles, and the load
test's throughput, latency and errors. Run after `make run`: `.venv/bin/python benchmarks/replicas.py` (about 2 minutes).
"""
import argparse, asyncio, json, os, sys, tempfile, threading, time, urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from harness import KEY, ROOT, free_port, load_urls, recorded, start


def call(base: str, path: str, body=None):
    request = urllib.request.Request(base + path, None if body is None else json.dumps(body).encode(),
                                     {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(request, timeout=30) as answer: return json.loads(answer.read())


def top(base: str, user: str) -> list[str]: return [item["item_id"] for item in call(base, f"/users/{user}/recommendations?k=10")["items"]]


def probe(first: str, second: str, users: np.ndarray, probes: int, delays: list, failures: list):
    "Store through `first`, wait until `second` reflects it; one delay (seconds) per probe."
    rng = np.random.default_rng(1)
    for n in range(probes):
        user = str(rng.choice(users))
        shown = top(second, user)
        call(first, "/events", {"events": [{"event_id": f"probe-{n}", "user_id": user, "item_id": shown[0], "type": "purchase"}]})
        acknowledged = time.perf_counter()
        while shown[0] in top(second, user):
            if time.perf_counter() - acknowledged > 10: failures.append(user); break
            time.sleep(0.005)
        else: delays.append(time.perf_counter() - acknowledged)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20_000, help="load-test requests, spread over both replicas")
    args = parser.parse_args()
    bundle = Path(os.environ.get("HRS_MODEL_DIR", ROOT / "models" / "latest"))
    users = pd.read_parquet(bundle / "users.parquet")["user_id"].astype(str).to_numpy()
    work = Path(tempfile.mkdtemp(prefix="hrs-replicas-"))
    import pgserver
    os.environ.setdefault("XDG_RUNTIME_DIR", str(work))
    postgres = pgserver.get_server(work / "postgresql", cleanup_mode="stop")
    database = postgres.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    env = {"HRS_MODEL_DIR": str(bundle), "HRS_DATABASE_URL": database, "HRS_API_KEYS": KEY}
    servers, bases = [], []
    try:
        for _ in range(2):
            port = free_port(); bases.append(f"http://127.0.0.1:{port}")
            servers.append(start([str(Path(sys.executable).parent / "hybrid-recsys"), "serve", "--log-level", "warning", "--port", str(port)], bases[-1], env))
        delays, failures = [], []
        prober = threading.Thread(target=probe, args=(bases[0], bases[1], users, args.probes, delays, failures))
        rng = np.random.default_rng(0)
        urls = [f"{bases[n % 2]}/users/{rng.choice(users)}/recommendations?k=10" for n in range(args.requests)]
        prober.start()
        loaded = asyncio.run(load_urls(urls, 8))
        prober.join()
    finally:
        for server in servers: server.terminate(); server.wait(timeout=60)
        postgres.cleanup()
    delays_ms = np.array(delays) * 1000
    figures = {"probes": len(delays), "not_reflected_within_10_s": len(failures), "follow_s": float(os.environ.get("HRS_FOLLOW_S", 0.2)),
               **{f"propagation_p{p}_ms": float(np.percentile(delays_ms, p)) for p in (50, 90, 99)}, "propagation_max_ms": float(delays_ms.max()),
               "load": loaded}
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    with recorded():
        main()
