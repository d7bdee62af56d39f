"""Load test of the service: one uvicorn worker, requests from this (second) process over loopback.

Starts `uvicorn hybrid_recsys.api:app` (one worker) on the bundle at $HRS_MODEL_DIR (default models/latest),
then for each concurrency (1, 8, 32) sends --requests requests to /users/{id}/recommendations?k=10 for random
known users (aiohttp, keep-alive) and reports throughput, p50 / p99 latency and errors.
Run after `make run`: `.venv/bin/python benchmarks/load.py`.
"""
import argparse, asyncio, os, socket, subprocess, sys, time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


async def load(base: str, users: list[str], n_requests: int, concurrency: int) -> tuple[list[float], int, float]:
    import aiohttp
    latencies, errors = [], 0
    queue = iter(np.random.default_rng(concurrency).choice(users, size=n_requests))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def worker():
            nonlocal errors
            for user in queue:
                start = time.perf_counter()
                try:
                    async with session.get(f"{base}/users/{user}/recommendations", params={"k": "10"}) as response:
                        await response.read()
                        if response.status != 200: errors += 1
                except aiohttp.ClientError: errors += 1
                latencies.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, errors, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()
    bundle = Path(os.environ.get("HRS_MODEL_DIR", ROOT / "models" / "latest"))
    users = pd.read_parquet(bundle / "users.parquet")["user_id"].astype(str).tolist()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "hybrid_recsys.api:app", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", "1", "--log-level", "warning", "--no-access-log"],
                              env={**os.environ, "HRS_MODEL_DIR": str(bundle), "HRS_QUIET": "1"}, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        import urllib.request
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1); break
            except OSError: time.sleep(0.1)
        asyncio.run(load(base, users, 200, 4))  # warm up
        print(f"{os.cpu_count()} cores; one uvicorn worker; {args.requests} requests per row to /users/{{id}}/recommendations?k=10 "
              f"(random known users), client in a second process over loopback\n")
        print("| concurrency | requests | errors | throughput (req/s) | p50 (ms) | p99 (ms) |\n|---|---|---|---|---|---|")
        for concurrency in args.concurrency:
            latencies, errors, seconds = asyncio.run(load(base, users, args.requests, concurrency))
            print(f"| {concurrency} | {len(latencies)} | {errors} | {len(latencies) / seconds:.0f} | {np.percentile(latencies, 50):.1f} | "
                  f"{np.percentile(latencies, 99):.1f} |", flush=True)
    finally:
        server.terminate(); server.wait(timeout=30)


if __name__ == "__main__":
    main()
