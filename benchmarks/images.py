"""Pictures served by the service, as an outside client sees them: GET /items/{id}/image against GET /items/{id} and GET /health.

A fresh `hybrid-recsys serve` (one worker) on the bundle at $HRS_MODEL_DIR (default models/latest) with its image folder
(HRS_IMAGE_ROOT) at MovieLens-1M's posters ($HRS_POSTERS_DIR/MovieImages, default ../shared/data/ml-1m-posters): --items items are
added with PUT /items, each naming one poster (embedded at once, as a new item's picture is); once the server is idle again, benchmarks/client.py (a
process of its own) sends --requests GETs from 8 keep-alive connections per row, after a warm-up: the posters' bytes, the items'
JSON records, and /health, first from one connection (the latency one browser sees), then from eight (the server saturated: a
request's time is mostly its wait behind the others'). Writes benchmarks/results/images.md (--no-write: print only).
`.venv/bin/python benchmarks/images.py` after `make run` (about a minute).
"""
import argparse, json, os, sys, tempfile, time, urllib.request
from pathlib import Path

from harness import BIN, KEY, ROOT, client, free_port, start, write_results


def wait_idle(pid: int, quiet_s: float = 2.0, timeout_s: float = 120.0):
    "Wait until the server's process uses under a tenth of a core for `quiet_s` (it warms every user's list after each new item)."
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = lambda: sum(int(v) for v in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]) / ticks
    deadline, last, quiet_since = time.time() + timeout_s, cpu(), time.time()
    while time.time() < deadline:
        time.sleep(0.5)
        now = cpu()
        if now - last > 0.05: quiet_since = time.time()
        elif time.time() - quiet_since >= quiet_s: return
        last = now


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    posters = Path(os.environ.get("HRS_POSTERS_DIR", ROOT.parent / "shared" / "data" / "ml-1m-posters")) / "MovieImages"
    files = sorted(posters.glob("*.jpg"))[:args.items]
    if not files: sys.exit(f"error: no posters in {posters}: set HRS_POSTERS_DIR to the MovieLens-1M posters folder")
    work = Path(tempfile.mkdtemp(prefix="hrs-images-"))
    port = free_port(); base = f"http://127.0.0.1:{port}"
    env = {"HRS_MODEL_DIR": os.environ.get("HRS_MODEL_DIR", str(ROOT / "models" / "latest")), "HRS_API_KEYS": KEY,
           "HRS_DATABASE_URL": f"sqlite:///{work / 'events.sqlite'}", "HRS_IMAGE_ROOT": str(posters)}
    server = start([str(BIN / "python"), "-c", "from hybrid_recsys.cli import main; main()", "serve", "--log-level", "warning", "--port", str(port)], base, env)
    rows = []
    try:
        for path in files:
            body = json.dumps({"title": f"Poster {path.stem}", "text": "a film poster", "image": path.name}).encode()
            request = urllib.request.Request(f"{base}/items/poster-{path.stem}", body, method="PUT",
                                             headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
            with urllib.request.urlopen(request, timeout=60) as answer: answer.read()
        sizes = [p.stat().st_size for p in files]
        wait_idle(server.pid)  # measured once the lists the new items invalidated are computed again
        for connections in (1, 8):
            for row, paths in [("GET /items/{id}/image (a poster's bytes)", [f"/items/poster-{p.stem}/image" for p in files]),
                               ("GET /items/{id} (its JSON record)", [f"/items/poster-{p.stem}" for p in files]), ("GET /health", ["/health"])]:
                path_file = work / f"{len(rows)}.txt"; path_file.write_text("\n".join(paths) + "\n")
                client(base, {"path-file": path_file}, "--requests", "500", "--concurrency", str(connections))  # warm-up
                result = client(base, {"path-file": path_file}, "--requests", str(args.requests), "--concurrency", str(connections))
                rows.append({"row": row, "connections": connections, **result})
    finally:
        server.terminate(); server.wait(timeout=60)
    lines = [f"{os.cpu_count()} cores; one worker; {len(files)} posters (median {sorted(sizes)[len(sizes) // 2] / 1024:.0f} KiB) added with PUT /items; "
             f"{args.requests} requests per row from another process, after 500 to warm up; images served from memory after their first "
             f"read while the file is unchanged (`HRS_IMAGE_CACHE_BYTES`).", "",
             "| row | connections | requests/s | p50 (ms) | p99 (ms) | errors |", "|---|---|---|---|---|---|",
             *[f"| {r['row']} | {r['connections']} | {r['throughput']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} |" for r in rows]]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_results("images", text, {"rows": rows})


if __name__ == "__main__":
    main()
