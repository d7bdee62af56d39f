"""Per-request latency of the two stages, on one core in a warm process.

Fits the hybrid (ml-100k / ms75 by default, its tuned parameters) with 100 candidates per user, then for 500
random users, one request at a time: candidate generation (every source's list, fusion, every source's score of
every candidate), re-ranking 100 -> 20 (features, the re-ranker, the top 20), and both. Prints p50 / p99 in ms.
Run: `.venv/bin/python benchmarks/pipeline.py [--dataset ml-1m --protocol recbole811]`.
"""
import argparse, os, time

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"): os.environ[variable] = "1"  # one core
os.environ.setdefault("HRS_QUIET", "1")
import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--protocol", default="ms75")
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--keep", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    import faiss, torch
    torch.set_num_threads(1); faiss.omp_set_num_threads(1)
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.evaluate import load_tuned
    from hybrid_recsys.models import make_model, top_n
    from hybrid_recsys.rerank import candidate_features
    from hybrid_recsys.splits import split_dataset
    split = split_dataset(load_dataset(args.dataset), args.protocol, seed=42)
    params = {**(load_tuned(args.dataset, args.protocol, "hybrid") or {}), "n_candidates": args.candidates, "depth": args.candidates}
    start = time.perf_counter()
    model = make_model("hybrid", dataset=split.dataset, protocol=args.protocol, **params).fit(split.csr("fit"))
    fit_s = time.perf_counter() - start
    seen = split.csr("test_seen")
    users = np.random.default_rng(0).choice(split.dataset.n_users, size=args.requests, replace=True)
    generate_ms, rerank_ms = [], []
    for warm, user in [(True, u) for u in users[:20]] + [(False, u) for u in users]:
        start = time.perf_counter()
        candidates = model.generator.generate([user], seen)
        middle = time.perf_counter()
        features, _ = candidate_features(candidates, model.context, model.params["rrf_k"])
        scores = model.reranker.score(features, candidates.mask)
        order, _ = top_n(scores, args.keep)
        np.take_along_axis(candidates.items, order, 1)
        end = time.perf_counter()
        if not warm: generate_ms.append((middle - start) * 1000); rerank_ms.append((end - middle) * 1000)
    total = np.add(generate_ms, rerank_ms)
    print(f"{args.dataset} / {args.protocol}: sources {', '.join(model.params['sources'])}; {args.candidates} candidates -> top {args.keep}; "
          f"one thread; {args.requests} requests (fit took {fit_s:.0f} s)\n")
    print("| stage | p50 (ms) | p99 (ms) | mean (ms) |\n|---|---|---|---|")
    for name, values in (("candidate generation", generate_ms), (f"re-ranking {args.candidates} -> {args.keep}", rerank_ms), ("both", total)):
        print(f"| {name} | {np.percentile(values, 50):.2f} | {np.percentile(values, 99):.2f} | {np.mean(values):.2f} |")


if __name__ == "__main__":
    main()
