"""What the benchmarks share, in one module: the project's paths, a free port, a server started and waited for, the two
load generators (a list of URLs from keep-alive connections; random users' lists, with events streaming in), the
HTTP client of `client.py`, held-out events stored for a bundle, validation scores over several splits, and the one
writer of results.

Every script imports from here (`from harness import ...`: a script's own folder is on its path). Results go to
`benchmarks/results/<name>.md`, with the command and the date, beside `<name>.json` where a script keeps its rows;
`write_results` also regenerates the table of latest results in `benchmarks/README.md` from those files, so the
README never holds a hand-copied figure (`.venv/bin/python benchmarks/harness.py` regenerates it alone).
"""
import asyncio, contextlib, io, json, os, re, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KEY = "benchmark-key"  # the API key the benchmarks' servers are started with
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "benchmarks" / "README.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def start(command: list[str], base: str, env: dict, cwd: Path = ROOT) -> subprocess.Popen:
    "Start a server in `cwd` and wait until it answers /health (or /hello)."
    server = subprocess.Popen(command, cwd=cwd, env={**os.environ, "HRS_QUIET": "1", **env}, stdout=subprocess.DEVNULL)
    for _ in range(1200):
        if server.poll() is not None: sys.exit(f"error: the server exited with status {server.returncode}: {' '.join(command)}")
        for path in ("/health", "/hello"):
            try: urllib.request.urlopen(base + path, timeout=1); return server
            except OSError: pass
        time.sleep(0.1)
    server.terminate(); sys.exit(f"error: no answer from {base} after 120 s")


async def load_urls(urls: list[str], concurrency: int) -> dict:
    "Every url from `concurrency` keep-alive connections of this process: requests, errors, throughput, p50/p99 (ms)."
    import aiohttp
    latencies, errors, queue = [], 0, iter(urls)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency + 1)) as session:
        async def client():
            nonlocal errors
            for url in queue:
                start_s = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status != 200: errors += 1
                except aiohttp.ClientError: errors += 1
                latencies.append((time.perf_counter() - start_s) * 1000)
        start_s = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        seconds = time.perf_counter() - start_s
    return {"concurrency": concurrency, "requests": len(latencies), "errors": errors, "throughput": len(latencies) / seconds,
            "p50_ms": float(np.percentile(latencies, 50)), "p99_ms": float(np.percentile(latencies, 99))}


async def load_users(base: str, users: np.ndarray, clients: int = 8, seconds: float = 15.0, items: np.ndarray | None = None) -> dict:
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
                events = [{"event_id": f"s{batch}-{i}", "user_id": str(rng.choice(users)), "item_id": str(rng.choice(items)), "type": "click"}
                          for i in range(10)]
                async with session.post(f"{base}/events", json={"events": events}) as answer:
                    assert answer.status == 200, await answer.text()
                batch += 1; sent[0] += 10
                await asyncio.sleep(0.02)
        await asyncio.gather(*(client() for _ in range(clients)), *([streamer()] if items is not None else []))
    return {"requests_per_s": len(latencies) / seconds, "p50_ms": np.percentile(latencies, 50), "p99_ms": np.percentile(latencies, 99),
            "events_per_s": sent[0] / seconds}


def client(base: str, files: dict, *options: str) -> dict:
    "One run of benchmarks/client.py (the load generator in its own process) against `base`; its JSON line."
    command = [sys.executable, str(ROOT / "benchmarks" / "client.py"), base, "--key", KEY, *options]
    for name, path in files.items(): command += [f"--{name}", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode != 0: sys.exit(f"error: the client failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def store_heldout_events(bundle_path: Path, database: str) -> int:
    "The ml-100k interactions the bundle did not train on, stored as rating events in time order."
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.pipeline import load_bundle
    from hybrid_recsys.serve.events import Event, EventStore
    bundle, data = load_bundle(bundle_path), load_dataset("ml-100k")
    inter = data.interactions
    trained = np.asarray(bundle.model.train_csr[inter["user"].to_numpy(), inter["item"].to_numpy()]).ravel() != 0
    rest = inter[~trained].sort_values("timestamp", kind="stable")
    events = [Event(event_id=f"h{n}", user_id=str(data.user_ids[u]), item_id=str(data.item_ids[i]), type="rating", value=float(r), timestamp=float(t))
              for n, (u, i, r, t) in enumerate(zip(rest["user"], rest["item"], rest["rating"], rest["timestamp"]))]
    store = EventStore(database)
    for s in range(0, len(events), 1000): store.add_events(events[s:s + 1000])
    return len(events)


def validation_scores(dataset: str, protocol: str, seeds: list[int], configs: dict[str, dict]) -> dict[str, list[float]]:
    "Label -> validation NDCG@10 on each seed's split, every source tuned on that split's own validation; no test row is read."
    from hybrid_recsys.core import seed_everything
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.evaluate import fit_for_validation, load_tuned, tune, validation_score
    from hybrid_recsys.hybrid import DEFAULT_SOURCES
    from hybrid_recsys.models import MODELS
    from hybrid_recsys.splits import split_dataset
    data = load_dataset(dataset)
    saved = load_tuned(data.name, protocol, "hybrid") or {}
    scores = {label: [] for label in configs}
    for seed in seeds:
        seed_everything(seed)
        split = split_dataset(data, protocol, seed=seed)
        tuned = {}  # (source, its grid as JSON) -> parameters chosen on this split's validation
        for label, params in configs.items():
            params = {**{k: v for k, v in saved.items() if k not in MODELS["hybrid"][1]}, **params}  # the saved settings outside the hybrid's grid, as `tuned_for_split` keeps them
            grids = params.pop("source_grids", {})
            source_params = {}
            for name in params.get("sources", DEFAULT_SOURCES):
                grid = {**MODELS[name][1], **grids.get(name, {})}
                key = (name, json.dumps(grid, sort_keys=True))
                if key not in tuned: tuned[key] = tune(name, split, grid=grid)[0]
                source_params[name] = tuned[key]
            start_s = time.perf_counter()
            model = fit_for_validation("hybrid", {**params, "source_params": {**source_params, **params.get("source_params", {})}}, split)
            scores[label].append(validation_score(model, split))
            print(f"seed {seed}, {label}: {scores[label][-1]:.4f} ({time.perf_counter() - start_s:.0f} s); sources {source_params}", flush=True)
    return scores


def timed(call, inputs, warm: int = 20) -> list[float]:
    "Milliseconds of `call(x)` for each input, after `warm` untimed calls (the in-process latency scripts)."
    for x in inputs[:warm]: call(x)
    out = []
    for x in inputs:
        start = time.perf_counter(); call(x); out.append((time.perf_counter() - start) * 1000)
    return out


def print_table(title: str, seeds: list[int], scores: dict[str, list[float]], first_column: str = "configuration"):
    "The scores as a Markdown table under `title`: a row per label, its mean and each split."
    print(f"\n{title}: validation NDCG@10 on each split (seeds {', '.join(map(str, seeds))}); test rows untouched\n")
    print(f"| {first_column} | mean | " + " | ".join(f"seed {s}" for s in seeds) + " |")
    print("|---|---|" + "---|" * len(seeds))
    for label, values in scores.items():
        print(f"| {label} | {np.mean(values):.4f} | " + " | ".join(f"{v:.4f}" for v in values) + " |")


def write_results(name: str,  # results/<name>.md (and .json)
                  text: str,  # the Markdown the script printed
                  data: dict | None = None,  # rows to keep as JSON beside it
                  script: str | None = None,  # the script's file name (default: the running one), or its path from the root
                 ) -> Path:
    "Write a script's results with the command that produced them and the date, atomically; then regenerate the README's table."
    script = script or Path(sys.argv[0]).name
    command = " ".join([script if "/" in script else f"benchmarks/{script}", *sys.argv[1:]])
    RESULTS.mkdir(exist_ok=True)
    files = {f"{name}.md": f"# {command.split()[0]}\n\nMeasured {time.strftime('%Y-%m-%d')}: `{command}`\n\n{text.rstrip()}\n"}
    if data is not None: files[f"{name}.json"] = json.dumps({"measured": time.strftime("%Y-%m-%d %H:%M"), "command": command, **data}, indent=1, default=str)
    for file, content in files.items():
        partial = RESULTS / f".{file}.partial"
        partial.write_text(content); partial.replace(RESULTS / file)
    write_readme()
    return RESULTS / f"{name}.md"


def results_name(script: str, argv: list[str]) -> str:
    "A results file's name from its script and arguments: `pipeline_dataset_ml-1m_candidates_400` for `pipeline.py --dataset ml-1m --candidates 400`."
    words = [re.sub(r"[^A-Za-z0-9.]+", "-", a).strip("-") for a in argv]
    return "_".join([Path(script).stem, *[w for w in words if w]])


@contextlib.contextmanager
def recorded(name: str | None = None):
    """Run a script's body with what it prints also kept, and written as its results (`write_results`) when the body ends
    without an error. For the scripts whose printed tables are their results; `--no-write` on the command line (taken off
    before the script reads it) or HRS_BENCH_NO_WRITE=1: print only. `name` defaults to the script and its arguments."""
    no_write = "--no-write" in sys.argv or os.environ.get("HRS_BENCH_NO_WRITE") == "1"
    sys.argv = [a for a in sys.argv if a != "--no-write"]
    name = name or results_name(sys.argv[0], sys.argv[1:])
    kept, printed = io.StringIO(), sys.stdout

    class Both(io.TextIOBase):
        def write(self, text):
            kept.write(text); return printed.write(text)
        def flush(self): printed.flush()

    with contextlib.redirect_stdout(Both()): yield
    if not no_write and kept.getvalue().strip(): print(f"results: {write_results(name, kept.getvalue())}", file=sys.stderr)


START, END = "<!-- results: generated by benchmarks/harness.py from results/*.md; do not edit -->", "<!-- results: end -->"


def results_table() -> str:
    "The latest results, one row per results file: its script, when and with what command, and the setting it states first."
    rows = ["| results | measured | command | setting |", "|---|---|---|---|"]
    for path in sorted(RESULTS.glob("*.md")):
        text = path.read_text()
        measured = re.search(r"^Measured (\d{4}-\d{2}-\d{2})(?:: `([^`]*)`)?", text, re.M)
        setting = next((line for line in text.splitlines()[1:] if line.strip() and not line.startswith(("|", "#", "Measured"))), "")
        if len(setting) > 140: setting = setting[:setting.rfind(" ", 0, 140)] + " ..."
        rows.append(f"| [`{path.name}`](results/{path.name}) | {measured.group(1) if measured else '?'} | "
                    f"`{measured.group(2) if measured and measured.group(2) else '?'}` | {setting.replace('|', '/')} |")
    return "\n".join(rows)


def write_readme() -> bool:
    "Regenerate the README's table of latest results from the files; whether it changed."
    text = README.read_text()
    if START not in text or END not in text: raise SystemExit(f"{README}: the generated section's markers are missing ({START} ... {END})")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    new = f"{before}{START}\n{results_table()}\n{END}{after}"
    if new != text: README.write_text(new)
    return new != text


if __name__ == "__main__":
    print("benchmarks/README.md: results table regenerated" if write_readme() else "benchmarks/README.md: results table already current")
