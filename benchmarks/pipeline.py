"""Per-request latency of the two stages, on one core in a warm process, through the library's public calls.

Fits the hybrid (ml-100k / ms75 by default, its tuned parameters) with 100 candidates per user, then, one request
at a time:
- 500 random known users by the indexed road: candidate generation (`generator.generate`: every source's list,
  fusion, every source's score of every candidate), then re-ranking 100 -> 20 (`rank_candidates`: features, the
  re-ranker, the top 20);
- 500 new histories of 5 items (each drawn from a random user's training items) by the history road: generation
  with every source folded in (`generator.generate_history`: ALS solves the history's factors, content builds its
  profile, EASE multiplies), then the same re-ranking; and `rank_histories`, the one call a service makes.
Prints p50 / p99 / mean in ms, and the size of the fitted model as a bundle saves it. ML-1M loads with its posters when
$HRS_POSTERS_DIR has them (`make test` and `make reports` point it at ../shared/data/ml-1m-posters): then the content source
holds text and poster vectors and the re-ranker has `visual_affinity`; `--pictures off` fits the same hybrid on text alone.
Run: `.venv/bin/python benchmarks/pipeline.py [--dataset ml-1m --protocol recbole811 --candidates 400] [--pictures off]`.
"""
import argparse, os, time

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"): os.environ[variable] = "1"  # one core
os.environ.setdefault("HRS_QUIET", "1")
import numpy as np
from harness import recorded, timed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--protocol", default="ms75")
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--keep", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--history", type=int, default=5, help="items in each new history")
    parser.add_argument("--pictures", choices=["on", "off"], default="on", help="off: the content source without item images (image_weight=0)")
    args = parser.parse_args()
    import faiss, torch
    torch.set_num_threads(1); faiss.omp_set_num_threads(1)
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.evaluate import load_tuned
    from hybrid_recsys.models import histories_csr, make_model
    from hybrid_recsys.splits import split_dataset
    split = split_dataset(load_dataset(args.dataset), args.protocol, seed=42)
    params = {**(load_tuned(args.dataset, args.protocol, "hybrid") or {}), "n_candidates": args.candidates, "depth": args.candidates}
    if args.pictures == "off": params["source_params"] = {"content": {**(load_tuned(args.dataset, args.protocol, "content") or {}), "image_weight": 0.0}}
    pictures = int(split.dataset.items["image_path"].notna().sum()) if args.pictures == "on" else 0
    start = time.perf_counter()
    model = make_model("hybrid", dataset=split.dataset, protocol=args.protocol, **params).fit(split.csr("fit"))
    fit_s = time.perf_counter() - start
    seen, rng = split.csr("test_seen"), np.random.default_rng(0)
    users = rng.choice(split.dataset.n_users, size=args.requests, replace=True)
    rows = [seen[u].indices for u in rng.choice(split.dataset.n_users, size=args.requests, replace=True)]
    histories = [histories_csr([rng.choice(row, size=min(args.history, len(row)), replace=False)], model.n_items) for row in rows]
    indexed_candidates = [model.generator.generate([u], seen) for u in users]
    history_candidates = [model.generator.generate_history(h) for h in histories]
    rows_out = [
        ("indexed: candidate generation", timed(lambda u: model.generator.generate([u], seen), list(users))),
        (f"indexed: re-ranking {args.candidates} -> {args.keep}", timed(lambda c: model.rank_candidates(c, args.keep), indexed_candidates)),
        ("indexed: both (`rank_users`)", timed(lambda u: model.rank_users([u], seen, args.keep), list(users))),
        (f"history of {args.history}: candidate generation (fold-in)", timed(lambda h: model.generator.generate_history(h), histories)),
        (f"history of {args.history}: re-ranking {args.candidates} -> {args.keep}", timed(lambda c: model.rank_candidates(c, args.keep), history_candidates)),
        (f"history of {args.history}: both (`rank_histories`)", timed(lambda h: model.rank_histories(h, args.keep), histories)),
    ]
    import shutil, tempfile
    from pathlib import Path
    folder = Path(tempfile.mkdtemp(prefix="hrs-pipeline-")) / "model"
    model.save(folder); size_mb = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20
    shutil.rmtree(folder.parent)
    print(f"{args.dataset} / {args.protocol}: sources {', '.join(model.params['sources'])}; {args.candidates} candidates -> top {args.keep}; "
          f"{model.params['n_models']} network(s); pictures: {pictures:,} items"
          f"{' (visual_affinity among the features)' if 'visual_affinity' in model.reranker.feature_names else ''}; one thread; "
          f"{args.requests} requests per row (fit took {fit_s:.0f} s); the model as a bundle saves it: {size_mb:.0f} MB\n")
    print("| road: stage | p50 (ms) | p99 (ms) | mean (ms) |\n|---|---|---|---|")
    for name, values in rows_out:
        print(f"| {name} | {np.percentile(values, 50):.2f} | {np.percentile(values, 99):.2f} | {np.mean(values):.2f} |")


if __name__ == "__main__":
    with recorded():
        main()
