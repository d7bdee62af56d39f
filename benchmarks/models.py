"""Cost of the stage-1 models: training time, peak memory, and recommendation latency.

Run: .venv/bin/python benchmarks/models.py [--datasets ml-100k ml-1m] [--models pop ease als neumf]

Each (dataset, model) runs in a fresh subprocess so that its peak resident memory is its own:
"peak RSS" is the process's high-water mark after fitting, "fit delta" what fitting added on top of
the loaded data. Parameters are the validation-chosen ones from experiments/tuned/ (defaults where a
model has none), so this measures cost, not quality. Prints a markdown table (docs/speed.md's "Speed").
"""
import argparse, json, os, resource, subprocess, sys, time
from harness import recorded

PROTOCOL = {"ml-100k": "ms75", "ml-1m": "recbole811"}


def rss_mb() -> float:
    with open("/proc/self/statm") as f: return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_one(dataset: str, name: str) -> dict:
    os.environ.setdefault("HRS_QUIET", "1")
    import numpy as np
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.evaluate import load_tuned
    from hybrid_recsys.models import make_model
    from hybrid_recsys.splits import split_dataset
    split = split_dataset(load_dataset(dataset), PROTOCOL[dataset], seed=42)
    params = load_tuned(dataset, PROTOCOL[dataset], name) or {}
    fit, seen = split.csr("fit"), split.csr("test_seen")
    make_model(name, dataset=split.dataset, **params)  # import the model's libraries before the baseline
    if name == "content":  # item embeddings are encoded once and cached (`hybrid-recsys embed` reports that cost)
        from hybrid_recsys.embeddings import item_embeddings
        item_embeddings(split.dataset, params.get("encoder", "offline"))
    before = rss_mb()
    start = time.perf_counter()
    model = make_model(name, dataset=split.dataset, **params).fit(fit)
    fit_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    users = np.arange(split.dataset.n_users)
    start = time.perf_counter()
    model.recommend(users, seen, N=100)
    batch_ms = (time.perf_counter() - start) * 1000 / len(users)
    single = []
    for user in np.random.default_rng(0).choice(users, size=min(300, len(users)), replace=False):
        start = time.perf_counter()
        model.recommend([user], seen, N=100)
        single.append((time.perf_counter() - start) * 1000)
    return {"dataset": dataset, "protocol": PROTOCOL[dataset], "model": name, "params": params, "fit_s": fit_s,
            "peak_rss_mb": peak, "fit_delta_mb": peak - before, "batch_ms_per_user": batch_ms,
            "p50_ms": float(np.percentile(single, 50)), "p99_ms": float(np.percentile(single, 99))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["ml-100k", "ml-1m"])
    parser.add_argument("--models", nargs="+", default=["pop", "ease", "als", "neumf", "content"])
    parser.add_argument("--one", nargs=2, metavar=("DATASET", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(*args.one))); return
    print(f"{os.cpu_count()} cores; each row a fresh process; latency: recommend 100 items, seen items filtered\n")
    print("| dataset / protocol | model | fit (s) | peak RSS (MB) | fit delta (MB) | all users (ms/user) | one user p50 (ms) | one user p99 (ms) |")
    print("|---|---|---|---|---|---|---|---|")
    for dataset in args.datasets:
        for name in args.models:
            out = subprocess.run([sys.executable, __file__, "--one", dataset, name], capture_output=True, text=True)
            if out.returncode != 0: sys.exit(f"{dataset} {name} failed:\n{out.stderr}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {dataset} / {r['protocol']} | {name} | {r['fit_s']:.2f} | {r['peak_rss_mb']:.0f} | {max(0.0, r['fit_delta_mb']):.0f} | "
                  f"{r['batch_ms_per_user']:.3f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |", flush=True)


if __name__ == "__main__":
    with recorded():
        main()
