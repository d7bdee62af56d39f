"""Latency of filtered lists: filters go inside retrieval (nb 09), so a selective filter still fills its list; what it costs.

Two parts, one request at a time on one core, each row against the same requests unfiltered:
- a synthetic catalog of 1,000,000 items (`clustered_vectors`, 64-d, the IVF index `auto` picks at that size): one
  query's top 200 through `ItemIndex.search` with a random allowed set passing 50%, 5% and 0.5% of the catalog, and
  the share of lists that came back short (0 is the contract) and their recall against exact search over the allowed
  items;
- a hybrid fitted on MovieLens (ml-1m / recbole811 by default, its tuned parameters, 200 candidates): `rank_users` for a
  known user's top 10 with the same three shares, the filter an allow-list of random items (`ItemFilter.mask`).
Run: `.venv/bin/python benchmarks/filters.py [--dataset ml-1m --protocol recbole811] [--items 1000000] [--requests 300]`.
"""
import argparse, os, time

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"): os.environ[variable] = "1"  # one core
os.environ.setdefault("HRS_QUIET", "1")
import numpy as np
from harness import recorded, timed

SHARES = (None, 0.5, 0.05, 0.005)  # None: unfiltered


def label(share) -> str:
    return "unfiltered" if share is None else f"{share:.1%} of the catalog passes"


def synthetic(n_items: int, requests: int, k: int = 200):
    from hybrid_recsys.retrieval import ItemIndex, clustered_vectors, vector_index
    vectors = clustered_vectors(n_items, 64)
    start = time.perf_counter()
    index = ItemIndex(vectors, vector_index(vectors, "auto"))
    build_s = time.perf_counter() - start
    queries = clustered_vectors(requests, 64, seed=1)
    rng = np.random.default_rng(0)
    print(f"\n## Synthetic catalog: {n_items:,} items, 64-d, {type(index.index).__name__} (built in {build_s:.0f} s); "
          f"top {k} of one query; {requests} requests per row\n")
    print("| filter | p50 (ms) | p99 (ms) | short lists | recall vs exact |\n|---|---|---|---|---|")
    rows = []
    for share in SHARES:
        allowed = None if share is None else rng.random(n_items) < share
        times = timed(lambda q: index.search(q[None], k, allowed=allowed), list(queries))
        found = [index.search(q[None], k, allowed=allowed)[0][0] for q in queries[:50]]
        pool = np.flatnonzero(allowed) if allowed is not None else np.arange(n_items)
        exact = [pool[np.argsort(-(vectors[pool] @ q), kind="stable")[:k]] for q in queries[:50]]
        recall = np.mean([np.isin(e, f).mean() for e, f in zip(exact, found)])
        short = np.mean([(f >= 0).sum() < min(k, len(pool)) for f in found])
        rows.append(dict(catalog="synthetic", filter=label(share), p50=np.percentile(times, 50), p99=np.percentile(times, 99), short=short, recall=recall))
        print(f"| {label(share)} | {np.percentile(times, 50):.2f} | {np.percentile(times, 99):.2f} | {short:.0%} | {recall:.3f} |")
    print(f"\nWhere exact search over the allowed items' own vectors stops paying: each road forced, p50 / p99 (ms); `auto` "
          f"takes the exact road up to {ItemIndex.subset_share:.0%} of the catalog (`ItemIndex.subset_share`)\n")
    print("| share passing | exact over the allowed items | the index, through the id selector, widened |\n|---|---|---|")
    chosen = ItemIndex.subset_share
    for share in (0.01, 0.02, 0.05, 0.1, 0.2):
        allowed, cells = rng.random(n_items) < share, []
        for forced in (1.0, 0.0):  # every allowed set searched exactly on its own vectors; none
            ItemIndex.subset_share = forced
            times = timed(lambda q: index.search(q[None], k, allowed=allowed), list(queries[:100]))
            cells.append(f"{np.percentile(times, 50):.2f} / {np.percentile(times, 99):.2f}")
        ItemIndex.subset_share = chosen
        print(f"| {share:.0%} | {cells[0]} | {cells[1]} |")
    return rows


def movielens(dataset: str, protocol: str, requests: int, k: int = 10):
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.evaluate import load_tuned
    from hybrid_recsys.models import make_model
    from hybrid_recsys.retrieval import ItemAttributes, ItemFilter
    from hybrid_recsys.splits import split_dataset
    split = split_dataset(load_dataset(dataset), protocol, seed=42)
    params = {**(load_tuned(dataset, protocol, "hybrid") or {}), "n_candidates": 200, "depth": 200}
    start = time.perf_counter()
    model = make_model("hybrid", dataset=split.dataset, protocol=protocol, **params).fit(split.csr("fit"))
    fit_s = time.perf_counter() - start
    seen, rng = split.csr("test_seen"), np.random.default_rng(0)
    users = list(rng.choice(split.dataset.n_users, size=requests, replace=True))
    attributes = ItemAttributes.from_items(split.dataset.items)
    print(f"\n## {dataset} / {protocol}: {model.n_items:,} items, sources {', '.join(model.params['sources'])}, 200 candidates -> "
          f"top {k} (`rank_users`, fit took {fit_s:.0f} s); {requests} requests per row\n")
    print("| filter | p50 (ms) | p99 (ms) | short lists |\n|---|---|---|---|")
    rows = []
    for share in SHARES:
        allowed = None
        if share is not None:
            ids = rng.choice(attributes.lookup, size=max(1, round(share * model.n_items)), replace=False)
            allowed = ItemFilter(allow=ids).mask(attributes)  # what a request's filter becomes
        times = timed(lambda u: model.rank_users([u], seen, k, allowed), users)
        left = [((seen[u].toarray()[0] == 0) & (True if allowed is None else allowed)).sum() for u in users]
        short = np.mean([(model.rank_users([u], seen, k, allowed).items[0] >= 0).sum() < min(k, n) for u, n in zip(users[:100], left)])
        rows.append(dict(catalog=dataset, filter=label(share), p50=np.percentile(times, 50), p99=np.percentile(times, 99), short=short))
        print(f"| {label(share)} | {np.percentile(times, 50):.2f} | {np.percentile(times, 99):.2f} | {short:.0%} |")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-1m")
    parser.add_argument("--protocol", default="recbole811")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--part", choices=["both", "synthetic", "movielens"], default="both")
    args = parser.parse_args()
    import faiss, torch
    torch.set_num_threads(1); faiss.omp_set_num_threads(1)
    print("One thread; p50 / p99 of single filtered requests with 50%, 5% and 0.5% of the catalog passing (a fresh random "
          "allowed set per share), against unfiltered; a synthetic catalog of a million items and an ML-1M hybrid.")
    if args.part in ("both", "synthetic"):
        synthetic(args.items, args.requests)
    if args.part in ("both", "movielens"):
        movielens(args.dataset, args.protocol, args.requests)


if __name__ == "__main__":
    with recorded():
        main()
