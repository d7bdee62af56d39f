"""Scale of stage-1 retrieval: FAISS indexes over a synthetic catalog of 1,000,000 item vectors.

For d = 64 (ALS-like factors) and d = 384 (content vectors), builds each approximate index kind, and reports
build time, the memory it added, single-query latency (k = 100, one thread, p50 / p99) and recall@100
against exact search on the same queries. Run: `.venv/bin/python benchmarks/retrieval.py` (about 15 minutes here).
"""
import argparse, os, time

os.environ.setdefault("OMP_NUM_THREADS", "2")
import numpy as np
from harness import recorded


def rss_mb() -> float:
    with open("/proc/self/statm") as f: return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-items", type=int, default=1_000_000)
    parser.add_argument("--dims", type=int, nargs="+", default=[64, 384])
    parser.add_argument("--kinds", nargs="+", default=["hnsw", "ivf"])
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    import faiss
    from hybrid_recsys.retrieval import clustered_vectors, vector_index
    print(f"{os.cpu_count()} cores; {args.n_items:,} items; build with all cores, queries on one thread; recall@100 against exact search\n")
    print("| d | index | parameters | build (s) | index memory (MB) | query p50 (ms) | query p99 (ms) | recall@100 |")
    print("|---|---|---|---|---|---|---|---|")
    for dim in args.dims:
        items = clustered_vectors(args.n_items, dim, n_clusters=4096, seed=0)
        queries = clustered_vectors(args.queries, dim, n_clusters=4096, seed=1)
        exact = faiss.IndexFlatIP(dim); exact.add(items)
        _, truth = exact.search(queries, 100)
        del exact
        for kind in args.kinds:
            params = {"hnsw": {"hnsw_m": 32, "ef_construction": 80, "ef_search": 128}, "ivf": {"nprobe": 64}}[kind]
            before = rss_mb(); start = time.perf_counter()
            index = vector_index(items, kind, **params)
            build_s, memory = time.perf_counter() - start, rss_mb() - before
            faiss.omp_set_num_threads(1)
            latencies, found = [], []
            for query in queries:
                start = time.perf_counter()
                _, ids = index.search(query[None], 100)
                latencies.append((time.perf_counter() - start) * 1000); found.append(ids[0])
            faiss.omp_set_num_threads(os.cpu_count())
            recall = np.mean([np.intersect1d(t, f).size / 100 for t, f in zip(truth, found)])
            shown = ", ".join(f"{k}={v}" for k, v in params.items()) + (f", nlist={index.nlist}" if kind == "ivf" else "")
            print(f"| {dim} | {kind} | {shown} | {build_s:.0f} | {memory:.0f} | {np.percentile(latencies, 50):.2f} | "
                  f"{np.percentile(latencies, 99):.2f} | {recall:.3f} |", flush=True)
            del index


if __name__ == "__main__":
    with recorded():
        main()
