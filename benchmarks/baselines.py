"""Speed and memory of the stage-1 baselines: fit time, peak memory of fitting, and recommendation latency.

Run: .venv/bin/python benchmarks/baselines.py [--datasets ml-100k ml-1m] [--repeats 3]
Prints a markdown table (the README's "Speed" section). Parameters are fixed at the values chosen on
validation (see the README's results), so this measures cost, not quality.
"""
import argparse, os, time, tracemalloc

import numpy as np

os.environ.setdefault("HRS_QUIET", "1")
from hybrid_recsys.data import load_dataset
from hybrid_recsys.models import make_model
from hybrid_recsys.splits import split_dataset

PROTOCOL = {"ml-100k": "ms75", "ml-1m": "recbole811"}
MODELS = {"pop": {}, "ease": {"l2": 750.0}}


def measure(name, params, split, repeats):
    fit = split.csr("fit")
    seen = split.csr("test_seen")
    fit_seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = make_model(name, **params).fit(fit)
        fit_seconds.append(time.perf_counter() - start)
    tracemalloc.start()
    make_model(name, **params).fit(fit)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    users = np.arange(split.dataset.n_users)
    start = time.perf_counter()
    model.recommend(users, seen, N=100)
    batch_ms = (time.perf_counter() - start) * 1000 / len(users)
    rng = np.random.default_rng(0)
    single = []
    for user in rng.choice(users, size=min(300, len(users)), replace=False):
        start = time.perf_counter()
        model.recommend([user], seen, N=100)
        single.append((time.perf_counter() - start) * 1000)
    return {"fit_s": float(np.median(fit_seconds)), "fit_peak_mb": peak / 2**20, "batch_ms_per_user": batch_ms,
            "p50_ms": float(np.percentile(single, 50)), "p99_ms": float(np.percentile(single, 99))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["ml-100k", "ml-1m"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"threads: OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, cores={os.cpu_count()}\n")
    print("| dataset / protocol | model | fit (s, median) | fit peak memory (MB) | recommend 100, all users (ms/user) | one user p50 (ms) | one user p99 (ms) |")
    print("|---|---|---|---|---|---|---|")
    for dataset in args.datasets:
        split = split_dataset(load_dataset(dataset), PROTOCOL[dataset], seed=42)
        for name, params in MODELS.items():
            r = measure(name, params, split, args.repeats)
            print(f"| {dataset} / {PROTOCOL[dataset]} | {name} | {r['fit_s']:.3f} | {r['fit_peak_mb']:.0f} | "
                  f"{r['batch_ms_per_user']:.3f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |")


if __name__ == "__main__":
    main()
