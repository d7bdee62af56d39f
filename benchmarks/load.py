"""Load test of the service as an outside client sees it: the server and the client (benchmarks/client.py) in processes of their own.

For each row, a fresh `hybrid-recsys serve` (one worker unless --workers) on the bundle at $HRS_MODEL_DIR (default models/latest)
and a fresh SQLite event store, and one client process sending --requests GET /users/{random known user}/recommendations?k=10
from 8 keep-alive connections, after --warmup requests that are not measured (2,000: a fresh server computes its users' lists in
its first seconds):
1. hello-world: benchmarks/hello.py served the same way (GET /hello): what HTTP alone costs here;
2. an empty event store: every list takes the indexed road;
3. the same with no list kept (HRS_LIST_CACHE=0): every request computes its list;
4. every user with events (ml-100k's held-out ratings, 25,008, stored first): every list takes the fold-in road;
5. the same while the client streams 200 click events/s, and measures acknowledgement-to-fresh-list (a purchase acknowledged,
   then the time until the user's list no longer holds it) 100 times;
6. 64 connections asking for lists while one more GETs /health every 20 ms.
With --baseline DIR, every row is measured again on the code of another checkout (DIR on PYTHONPATH; same bundle, same day).
Writes the rows to benchmarks/results/load.json and the tables to benchmarks/results/load.md (--no-write: print only).
Run after `make run`: `.venv/bin/python benchmarks/load.py [--baseline /path/to/an/older/checkout]` (about 4 minutes per code).
"""
import argparse, os, subprocess, sys, tempfile, urllib.error, urllib.request
from pathlib import Path

import pandas as pd

from harness import BIN, KEY, ROOT, client, free_port, start, store_heldout_events, write_results

def lists_counted(base: str) -> tuple[float, float]:
    "The server's lists so far, (found kept, computed), from /metrics (0, 0 for a server that does not count them)."
    try: text = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    except urllib.error.HTTPError: text = ""  # the hello-world has no metrics
    value = lambda outcome: float(next((line.split()[-1] for line in text.splitlines() if line.startswith(f'hrs_lists{{outcome="{outcome}"}}')), 0))
    return value("kept"), value("computed")


ROWS = [  # (row, the event store's content, client options, server environment)
    ("lists, empty event store (indexed road)", "empty", [], {}),
    ("lists, empty event store, every list computed (HRS_LIST_CACHE=0)", "empty", [], {"HRS_LIST_CACHE": "0"}),
    ("lists, every user with events (fold-in road)", "events", [], {}),
    ("lists, 200 events/s streaming in", "events", ["--events-per-s", "200", "--fresh-probes", "100"], {}),
    ("lists at concurrency 64, /health every 20 ms", "empty", ["--concurrency", "64", "--watch", "/health"], {}),
]


def measure(code: str, code_path: Path | None, bundle: Path, work: Path, files: dict, requests: int, workers: int, warmup: int,
            only: list[int] | None = None) -> list[dict]:
    "Every row (or the rows numbered in `only`, 1 to 6) on one checkout's code (None: this one)."
    env = {"HRS_MODEL_DIR": str(bundle), "HRS_API_KEYS": KEY, **({"PYTHONPATH": str(code_path)} if code_path else {})}
    serve = [str(BIN / "python"), "-c", "from hybrid_recsys.cli import main; main()", "serve", "--log-level", "warning", "--workers", str(workers)]
    hello = [sys.executable, str(ROOT / "benchmarks" / "hello.py"), "--workers", str(workers)]
    rows, filled = [], None
    for number, (row, events, options, server_env) in enumerate([("hello-world (GET /hello)", None, [], {})] + ROWS, 1):
        if only and number not in only: continue
        port = free_port(); base = f"http://127.0.0.1:{port}"
        database = work / f"{code}-{len(rows)}.sqlite"
        if events == "events":  # the held-out ratings, stored once and copied for each row that needs them
            if filled is None: filled = work / f"{code}-filled.sqlite"; store_heldout_events(bundle, f"sqlite:///{filled}")
            database.write_bytes(filled.read_bytes())
        server = start((hello if events is None else serve) + ["--port", str(port)], base, {**env, **server_env, "HRS_DATABASE_URL": f"sqlite:///{database}"},
                       code_path or ROOT)  # `python -c` puts its folder first on the path: the checkout whose code runs
        paths = {"path-file": files["hello"] if events is None else files["lists"]}
        try:
            client(base, {**paths, **files["stream"]}, "--requests", str(warmup), "--run-id", f"warm-{code}-{len(rows)}")
            before = lists_counted(base)
            result = client(base, {**paths, **files["stream"]}, "--requests", str(requests), "--run-id", f"{code}-{len(rows)}", *options)
            kept, computed = (after - start for after, start in zip(lists_counted(base), before))
            result["kept_share"] = kept / (kept + computed) if kept + computed else None
        finally:
            server.terminate(); server.wait(timeout=60)
        rows.append({"code": code, "workers": workers, "row": row, **result})
        print(f"{code}: {row}: {result['throughput']:.0f} requests/s, p99 {result['p99_ms']:.1f} ms", file=sys.stderr)
    return rows


def commit_of(checkout: Path) -> str:
    "A checkout's commit, marked when its working tree differs from it."
    run = lambda *args: subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True).stdout.strip()
    return (run("rev-parse", "--short", "HEAD") or checkout.name) + (" + changes" if run("status", "--porcelain", "--untracked-files=no") else "")


def cell(value, digits: int = 1) -> str: return "" if value is None else f"{value:.{digits}f}"


def tables(rows: list[dict], requests: int, warmup: int) -> str:
    lines = [f"{os.cpu_count()} cores; server and client processes on this machine; {requests} requests per row after {warmup} to warm up; "
             f"GET /users/{{random known user}}/recommendations?k=10 from 8 connections unless the row says otherwise.", "",
             "| code | workers | row | requests/s | p50 (ms) | p99 (ms) | lists found kept | events/s | ack to fresh list p50 / p99 (ms) | /health p99 / max (ms) | errors |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        fresh = f"{cell(r.get('fresh_p50_ms'))} / {cell(r.get('fresh_p99_ms'))}" if "fresh_p50_ms" in r else ""
        watch = f"{cell(r.get('watch_p99_ms'))} / {cell(r.get('watch_max_ms'))}" if "watch_p99_ms" in r else ""
        kept = "" if r.get("kept_share") is None else f"{r['kept_share']:.0%}"
        lines.append(f"| {r['code']} | {r['workers']} | {r['row']} | {r['throughput']:.0f} | {cell(r['p50_ms'])} | {cell(r['p99_ms'])} | {kept} | "
                     f"{cell(r['events_per_s'], 0)} | {fresh} | {watch} | {r['errors']} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per row")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--baseline", type=Path, help="another checkout whose code is measured the same way, as a same-day baseline")
    parser.add_argument("--warmup", type=int, default=2000, help="requests sent first and not measured (a fresh server warms its lists meanwhile)")
    parser.add_argument("--rows", type=int, nargs="+", help="only these rows (1 to 6); implies --no-write")
    parser.add_argument("--no-write", action="store_true", help="print the tables only")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    bundle = Path(os.environ.get("HRS_MODEL_DIR", ROOT / "models" / "latest"))
    users = pd.read_parquet(bundle / "users.parquet")["user_id"].astype(str).to_numpy()
    items = pd.read_parquet(bundle / "items.parquet")["item_id"].astype(str).to_numpy()
    work = Path(tempfile.mkdtemp(prefix="hrs-load-"))
    files = {"lists": work / "lists.txt", "hello": work / "hello.txt", "stream": {"stream-users": work / "users.txt", "stream-items": work / "items.txt"}}
    files["lists"].write_text("".join(f"/users/{u}/recommendations?k=10\n" for u in users)); files["hello"].write_text("/hello\n")
    files["stream"]["stream-users"].write_text("\n".join(users)); files["stream"]["stream-items"].write_text("\n".join(items))
    rows = measure(commit_of(ROOT), None, bundle, work, files, args.requests, args.workers, args.warmup, args.rows)
    if args.baseline:
        rows += measure(f"{commit_of(args.baseline)} (baseline)", args.baseline, bundle, work, files, args.requests, args.workers, args.warmup, args.rows)
    text = tables(rows, args.requests, args.warmup)
    print(text)
    if not (args.no_write or args.rows):
        write_results("load", text, {"rows": rows})


if __name__ == "__main__":
    main()
