"""Load test of the service beside a FastAPI hello-world, servers and client on this machine in one run.

For 1 and 2 worker processes (--workers), starts the baseline (benchmarks/hello.py: a hello-world served the same way) and then
`hybrid-recsys serve` on the bundle at $HRS_MODEL_DIR (default models/latest), and sends --requests requests at each
concurrency (--concurrency, default 1 8 32) from one client process over loopback (aiohttp, keep-alive): GET /hello to
the baseline, GET /users/{id}/recommendations?k=10 for random known users to the service. Then, with 64 clients asking
for recommendations, one more client probes GET /health every 20 ms: the liveness answer under load.
Prints markdown tables (throughput, p50 / p99 latency, errors, and the service's throughput as a share of the
baseline's). Run after `make run`: `.venv/bin/python benchmarks/load.py`.
"""
import argparse, asyncio, json, os, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def start(command: list[str], base: str, env: dict) -> subprocess.Popen:
    "Start a server and wait until it answers /health (or /hello)."
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "HRS_QUIET": "1", **env}, stdout=subprocess.DEVNULL)
    for _ in range(1200):
        if server.poll() is not None: sys.exit(f"error: the server exited with status {server.returncode}: {' '.join(command)}")
        for path in ("/health", "/hello"):
            try: urllib.request.urlopen(base + path, timeout=1); return server
            except OSError: pass
        time.sleep(0.1)
    server.terminate(); sys.exit(f"error: no answer from {base} after 120 s")


async def load(urls: list[str], concurrency: int, probe: str | None = None) -> dict:
    "Send every url from `concurrency` keep-alive clients; with `probe`, also time GET probe every 20 ms while they run."
    import aiohttp
    latencies, probes, errors, queue = [], [], 0, iter(urls)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency + 1)) as session:
        async def timed(url: str) -> float:
            nonlocal errors
            start = time.perf_counter()
            try:
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200: errors += 1
            except aiohttp.ClientError: errors += 1
            return (time.perf_counter() - start) * 1000

        async def client():
            for url in queue: latencies.append(await timed(url))

        async def prober(done: asyncio.Event):
            while not done.is_set():
                probes.append(await timed(probe)); await asyncio.sleep(0.02)
        done = asyncio.Event()
        watcher = asyncio.ensure_future(prober(done)) if probe else None
        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
        done.set()
        if watcher: await watcher
    return {"concurrency": concurrency, "requests": len(latencies), "errors": errors, "throughput": len(latencies) / seconds,
            "p50_ms": float(np.percentile(latencies, 50)), "p99_ms": float(np.percentile(latencies, 99)),
            **({"probes": len(probes), "probe_p50_ms": float(np.percentile(probes, 50)), "probe_p99_ms": float(np.percentile(probes, 99)),
                "probe_max_ms": float(np.max(probes))} if probe else {})}


def measure(name: str, command: list[str], env: dict, path_of, args, probe: bool) -> list[dict]:
    port = free_port(); base = f"http://127.0.0.1:{port}"
    server = start([*command, "--port", str(port)], base, env)
    rng = np.random.default_rng(0)
    try:
        asyncio.run(load([base + path_of(rng) for _ in range(300)], 8))  # warm up
        rows = [{"server": name, **asyncio.run(load([base + path_of(rng) for _ in range(args.requests)], concurrency))}
                for concurrency in args.concurrency]
        if probe: rows.append({"server": name, **asyncio.run(load([base + path_of(rng) for _ in range(args.requests)], 64, base + "/health"))})
        return rows
    finally:
        server.terminate(); server.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per row")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", type=Path, help="also write every row to this file")
    args = parser.parse_args()
    bundle = Path(os.environ.get("HRS_MODEL_DIR", ROOT / "models" / "latest"))
    users = pd.read_parquet(bundle / "users.parquet")["user_id"].astype(str).to_numpy()
    rows = []
    for workers in args.workers:
        hello = [sys.executable, str(ROOT / "benchmarks" / "hello.py"), "--workers", str(workers)]
        serve = [str(BIN / "hybrid-recsys"), "serve", "--workers", str(workers), "--log-level", "warning"]
        rows += [{"workers": workers, **row} for row in measure("hello-world", hello, {}, lambda rng: "/hello", args, probe=False)]
        rows += [{"workers": workers, **row} for row in measure("hybrid_recsys", serve, {"HRS_MODEL_DIR": str(bundle)},
                                                                 lambda rng: f"/users/{rng.choice(users)}/recommendations?k=10", args, probe=True)]
    print(f"{os.cpu_count()} cores, servers and client on this machine; {args.requests} requests per row; "
          f"hello-world: GET /hello; hybrid_recsys: GET /users/{{random known user}}/recommendations?k=10\n")
    print("| workers | server | concurrency | throughput (req/s) | share of hello-world | p50 (ms) | p99 (ms) | errors |\n|---|---|---|---|---|---|---|---|")
    baseline = {(r["workers"], r["concurrency"]): r["throughput"] for r in rows if r["server"] == "hello-world"}
    for r in rows:
        if "probes" in r: continue
        share = r["throughput"] / baseline[(r["workers"], r["concurrency"])] if (r["workers"], r["concurrency"]) in baseline else float("nan")
        print(f"| {r['workers']} | {r['server']} | {r['concurrency']} | {r['throughput']:.0f} | {share:.1%} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} |")
    print("\n/health while 64 clients ask for recommendations (one probe every 20 ms):\n")
    print("| workers | recommendations (req/s) | recommendations p99 (ms) | /health probes | /health p50 (ms) | /health p99 (ms) | /health max (ms) | errors |\n"
          "|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "probes" in r:
            print(f"| {r['workers']} | {r['throughput']:.0f} | {r['p99_ms']:.1f} | {r['probes']} | {r['probe_p50_ms']:.1f} | {r['probe_p99_ms']:.1f} | "
                  f"{r['probe_max_ms']:.1f} | {r['errors']} |")
    if args.json: args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
