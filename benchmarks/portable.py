"""Serving without torch: ONNX Runtime against torch on the same bundle, this machine, one after the other.

After `make run` (the bundle in models/latest, or HRS_MODEL_DIR) and `make serve-env` (the serving install, .venv-serve):
- per request, in process, one thread (as the service runs): a known user's list (`Bundle.recommend_user`: both stages, the
  re-ranker's networks) and a search (`Bundle.search`: the encoder's text tower), p50/p99; each backend in a process of its own:
  ONNX Runtime in the serving install (no torch), torch in the training install (HRS_BACKEND=torch);
- over HTTP: `hybrid-recsys serve` from each install, GET /search and GET /users/{id}/recommendations from 8 keep-alive
  connections of another process, p50/p99, and each server's resident memory after the load (what Kubernetes requests are
  sized from);
- the encoder's throughput on a catalog: MovieLens-1M's texts and posters ($HRS_POSTERS_DIR), texts/s and posters/s, ONNX
  Runtime (every core) against torch (every core).
Writes benchmarks/results/portable.{md,json} (--no-write: print only). `.venv/bin/python benchmarks/portable.py`.
"""
import argparse, asyncio, json, os, subprocess, sys, time
from pathlib import Path

import numpy as np

from harness import KEY, ROOT, free_port, load_urls, start, timed, write_results

SERVE_PYTHON = ROOT / ".venv-serve" / "bin" / "python"
QUERIES = ["space adventure with robots", "a love story in Paris", "animated toys come to life", "war film", "detective in the rain",
           "musical comedy", "horror in a haunted house", "documentary about music"]


def worker(bundle: str, requests: int, posters: int) -> dict:
    "This process's backend: per-request timings on the bundle, and the encoder's throughput on ML-1M (run in each install)."
    import warnings
    from hybrid_recsys.pipeline import load_bundle
    from hybrid_recsys.serve.api import single_threaded
    from hybrid_recsys.portable import installed, set_threads
    single_threaded()
    loaded = load_bundle(bundle)
    rng = np.random.default_rng(0)
    users = loaded.user_lookup[rng.integers(0, len(loaded.user_lookup), requests)].tolist()
    queries = [QUERIES[i % len(QUERIES)] + f" {i}" for i in range(requests)]
    out = {"backend": type(loaded.model.reranker).__name__, "torch_installed": installed("torch")}
    for name, call, inputs in (("user list", lambda u: loaded.recommend_user(u, k=10), users),
                               ("search", lambda q: loaded.search(q, k=10), queries)):
        ms = timed(call, inputs)
        out[name] = {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}
    # the encoder on a catalog, on every core (adding a catalog is bulk work, not one request)
    from threadpoolctl import threadpool_limits
    threadpool_limits(os.cpu_count())
    set_threads(0)
    content = loaded.model.generator.sources["content"]
    if installed("torch"):
        import torch
        torch.set_num_threads(os.cpu_count())
    encoder = content.serving_encoder()  # the exported one, or torch's with HRS_BACKEND=torch
    folder = Path(os.environ.get("HRS_POSTERS_DIR", ROOT.parent / "shared" / "data" / "ml-1m-posters"))
    import pandas as pd
    movies = pd.read_csv(folder / "movies.csv", dtype=str, keep_default_na=False)
    paths = [folder / p for p in movies["poster"] if p][:posters]
    texts = (movies["title"] + ": " + movies["genres"].str.replace("|", ", ")).tolist()[:2000]
    encoder.encode_texts(texts[:64], progress=False); encoder.encode_images(paths[:16], progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start_s = time.perf_counter(); encoder.encode_images(paths, progress=False); out["posters_per_s"] = len(paths) / (time.perf_counter() - start_s)
    start_s = time.perf_counter(); encoder.encode_texts(texts, progress=False); out["texts_per_s"] = len(texts) / (time.perf_counter() - start_s)
    out["encoder"] = type(encoder).__name__
    return out


def run_worker(python: Path, bundle: str, args, env: dict) -> dict:
    command = [str(python), __file__, "--worker", "--bundle", bundle, "--requests", str(args.requests), "--posters", str(args.posters)]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "HRS_QUIET": "1", **env}, timeout=1800, cwd=ROOT / "benchmarks")
    if result.returncode != 0: sys.exit(f"error: the worker failed ({python}): {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def over_http(bin_dir: Path, bundle: str, env: dict, requests: int, tmp: Path) -> dict:
    "GET /search and users' lists against `hybrid-recsys serve` from one install; p50/p99 and the server's resident memory."
    port = free_port(); base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = start([str(bin_dir / "hybrid-recsys"), "serve", "--port", str(port), "--log-level", "warning"], base,
                   {"HRS_MODEL_DIR": bundle, "HRS_DATABASE_URL": f"sqlite:///{tmp / f'{port}.sqlite'}", "HRS_API_KEYS": KEY, **env})
    out = {"seconds_to_health": time.perf_counter() - started}
    try:
        rng = np.random.default_rng(1)
        searches = [f"{base}/search?q={QUERIES[i % len(QUERIES)].replace(' ', '+')}+{i}&k=10" for i in range(requests)]
        users = [f"{base}/users/{u}/recommendations?k=10&diversity=0.{i % 9 + 1}" for i, u in enumerate(rng.integers(1, 944, requests))]
        for name, urls in (("search", searches), ("user list", users)):
            asyncio.run(load_urls(urls[:200], 8))  # warm
            out[name] = asyncio.run(load_urls(urls, 8))
        out["rss_mib"] = int(Path(f"/proc/{server.pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
    finally:
        server.terminate(); server.wait(timeout=30)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per row (default 2000)")
    parser.add_argument("--posters", type=int, default=1000, help="ML-1M posters the encoders embed (default 1000)")
    parser.add_argument("--bundle", default=os.environ.get("HRS_MODEL_DIR", str(ROOT / "models" / "latest")))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.bundle, args.requests, args.posters))); return
    if not SERVE_PYTHON.exists(): sys.exit("error: no serving install in .venv-serve: run `make serve-env`")
    import tempfile
    installs = {"ONNX Runtime (serving install, no torch)": (SERVE_PYTHON, {}),
                "torch (training install, HRS_BACKEND=torch)": (Path(sys.executable), {"HRS_BACKEND": "torch"})}
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, (python, env) in installs.items():
            print(f"measuring {label}", file=sys.stderr, flush=True)
            rows[label] = {"in_process": run_worker(python, args.bundle, args, env),
                           "http": over_http(python.parent, args.bundle, env, args.requests, Path(tmp))}
    cores = os.cpu_count()
    manifest = json.loads((Path(args.bundle) / "manifest.json").read_text())
    text = [f"{cores} cores; the bundle of {args.bundle} ({manifest['dataset']}, {manifest['n_users']:,} users x {manifest['n_items']:,} items; "
            f"sources {', '.join(manifest['config']['params']['sources'])}; the neural re-ranker); "
            f"in process: {args.requests} calls per row after 20 to warm up, one thread; over HTTP: {args.requests} requests per row from 8 "
            "keep-alive connections of another process after 200 to warm up (lists with a diversity setting, so none is a kept list); "
            f"encoder: the offline encoder on every core, {args.posters} ML-1M posters and 2,000 texts. Each backend in its own install and "
            "process, one after the other.", "",
            "| backend | user list p50 / p99 (ms), in process | search p50 / p99 (ms), in process | user list p50 / p99 (ms), HTTP | "
            "search p50 / p99 (ms), HTTP | start to /health (s) | RSS after load (MiB) | texts/s | posters/s |",
            "|---|---|---|---|---|---|---|---|---|"]
    for label, row in rows.items():
        p, h = row["in_process"], row["http"]
        text.append(f"| {label} | {p['user list']['p50_ms']:.2f} / {p['user list']['p99_ms']:.2f} | {p['search']['p50_ms']:.2f} / "
                    f"{p['search']['p99_ms']:.2f} | {h['user list']['p50_ms']:.2f} / {h['user list']['p99_ms']:.2f} | "
                    f"{h['search']['p50_ms']:.2f} / {h['search']['p99_ms']:.2f} | {h['seconds_to_health']:.1f} | {h['rss_mib']:.0f} | "
                    f"{p['texts_per_s']:.0f} | {p['posters_per_s']:.1f} |")
    print("\n".join(text))
    if not args.no_write: print(f"results: {write_results('portable', chr(10).join(text), rows)}", file=sys.stderr)


if __name__ == "__main__":
    main()
