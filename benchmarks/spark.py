"""implicit against Spark local mode: ALS on MovieLens-1M (recbole811) with the same factors, regularisation and confidence.

Each fit runs in its own process, so that its peak memory (the process and its children, the JVM included, sampled
every 50 ms) is its own. Per-iteration time is (time of N iterations - time of 1) / (N - 1), which leaves out start-up
(Spark's JVM, the data's trip into Spark). Test NDCG@10 of both, on the same split (the test split of the protocol; the
parameters are implicit's, tuned on validation: experiments/tuned/ml-1m-recbole811-als.yaml). SparkALS maps the
regularisation as nbs/07a_spark.ipynb explains (regParam = λ / the larger mean interactions per user or per item, chosen on validation).
Run: `.venv/bin/python benchmarks/spark.py` (about 10 minutes on 2 cores).
`--scales` instead reproduces how the regularisation mapping was chosen (nb 07a): on the validation splits only, Spark's
NDCG@10 for several values of reg_scale (per-user mean, per-item mean, their geometric mean, multiples of the larger)
beside implicit's, on ML-1M (64 factors) and ML-100K (128 factors); about 10 minutes.
"""
import json, subprocess, sys, threading, time

ITERATIONS = 15


def child(model: str, iterations: int):
    "One fit in this process; prints its figures as JSON."
    import psutil, yaml
    from hybrid_recsys.core import project_root
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.metrics import ranking_metrics, users_with_heldout
    from hybrid_recsys.models import make_model
    from hybrid_recsys.splits import split_dataset
    params = yaml.safe_load((project_root() / "experiments/tuned/ml-1m-recbole811-als.yaml").read_text())["params"]
    split = split_dataset(load_dataset("ml-1m"), "recbole811", seed=42)
    train = split.csr("train")
    peak, done = [0], threading.Event()
    def sample():
        me = psutil.Process()
        while not done.is_set():
            try: peak[0] = max(peak[0], sum(p.memory_info().rss for p in [me, *me.children(recursive=True)]))
            except psutil.Error: pass
            time.sleep(0.05)
    threading.Thread(target=sample, daemon=True).start()
    fitted = make_model(model, **params, iterations=iterations)
    if model == "spark-als":
        from hybrid_recsys.spark import spark_session
        spark_session()  # the JVM's start is not the fit's
    start = time.perf_counter()
    fitted.fit(train)
    seconds = time.perf_counter() - start
    users = users_with_heldout(split.test)
    ndcg = float(ranking_metrics(fitted.recommend(users, train, 10)[0], split.test, users, (10,))["ndcg@10"].mean())
    done.set()
    print(json.dumps({"model": model, "iterations": iterations, "fit_s": seconds, "peak_rss_gb": peak[0] / 1e9, "ndcg@10": ndcg, "params": params}))


def scales():
    "NDCG@10 on the validation split of implicit's ALS and of SparkALS at several reg_scale values, per dataset."
    import numpy as np
    from hybrid_recsys.als import ALS
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.metrics import ranking_metrics, users_with_heldout
    from hybrid_recsys.spark import SparkALS
    from hybrid_recsys.splits import split_dataset
    for dataset, protocol, factors, alpha in (("ml-1m", "recbole811", 64, 10.0), ("ml-100k", "ms75", 128, 20.0)):
        split = split_dataset(load_dataset(dataset), protocol, seed=42)
        train, valid = split.csr("train"), split.csr("valid")
        users = users_with_heldout(valid)
        ndcg = lambda m: float(ranking_metrics(m.recommend(users, train, 10)[0], valid, users, (10,))["ndcg@10"].mean())
        per_user = train.nnz / (np.diff(train.indptr) > 0).sum(); per_item = train.nnz / (np.diff(train.tocsc().indptr) > 0).sum()
        larger = max(per_user, per_item)
        print(f"{dataset}: implicit {ndcg(ALS(factors=factors, regularization=100.0, alpha=alpha).fit(train)):.4f}", flush=True)
        for name, scale in (("per user", per_user), ("per item", per_item), ("geometric mean", np.sqrt(per_user * per_item)),
                            *((f"{m} x the larger", m * larger) for m in (2, 4, 8, 16))):
            spark = SparkALS(factors=factors, regularization=100.0, alpha=alpha, reg_scale=float(scale)).fit(train)
            print(f"{dataset}: spark-als, reg_scale {name} ({scale:.1f}): {ndcg(spark):.4f}", flush=True)


def run(model: str, iterations: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", model, str(iterations)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    rows = []
    for model in ("als", "spark-als"):
        one, full = run(model, 1), run(model, ITERATIONS)
        rows.append({"model": model, "ndcg@10": full["ndcg@10"], f"fit_s ({ITERATIONS} iterations)": full["fit_s"],
                     "per_iteration_s": (full["fit_s"] - one["fit_s"]) / (ITERATIONS - 1), "peak_rss_gb": full["peak_rss_gb"], "params": full["params"]})
    print(json.dumps(rows, indent=1))
    print(f"\n| library | test NDCG@10 | fit, {ITERATIONS} iterations (s) | per iteration (s) | peak memory (GB) |\n|---|---|---|---|---|")
    for r in rows: print(f"| {r['model']} | {r['ndcg@10']:.4f} | {r[f'fit_s ({ITERATIONS} iterations)']:.1f} | {r['per_iteration_s']:.2f} | {r['peak_rss_gb']:.2f} |")
    print(f"\ndifference (spark - implicit): {rows[1]['ndcg@10'] - rows[0]['ndcg@10']:+.4f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child": child(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1:] == ["--scales"]: scales()
    else: main()
