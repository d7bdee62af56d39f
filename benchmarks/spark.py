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
`--shapes` measures scale, side by side in one run: per-iteration time and peak memory of both libraries on ML-1M
(recbole811's training split) and on a generated catalog of ML-20M's shape (138,493 users, 26,744 items, 20,000,263
interactions; `generate_interactions` in nb 07a, seed 0, written once to data/generated/), at the same factors (128,
`--factors F` to change), λ 100 and alpha 10; iterations 1 and 3, so per iteration is (t3 - t1) / 2. Spark gets
HRS_SPARK_DRIVER_MEMORY=12g there (4g, the default, is short for 20M interactions). About 25 minutes on 2 cores.
`--batch` times batch scoring in Spark local mode (`batch_top_n`: the top 100 of every user, written as Parquet) on
both, from an implicit ALS of 128 factors fitted in the same process (5 iterations; its fit is not timed). About 5 minutes.
"""
import json, os, subprocess, sys, threading, time
from harness import recorded

ITERATIONS = 15


class PeakMemory:
    "The peak resident memory of this process and its children (the JVM included), sampled every 50 ms from creation until `stop`."
    def __init__(self):
        import psutil
        self.peak, self.done, me = 0, threading.Event(), psutil.Process()
        def sample():
            while not self.done.is_set():
                try: self.peak = max(self.peak, sum(p.memory_info().rss for p in [me, *me.children(recursive=True)]))
                except psutil.Error: pass
                time.sleep(0.05)
        threading.Thread(target=sample, daemon=True).start()

    def stop(self) -> int:
        self.done.set()
        return self.peak


def child(model: str, iterations: int):
    "One fit in this process; prints its figures as JSON."
    import yaml
    from hybrid_recsys.core import project_root
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.metrics import ranking_metrics, users_with_heldout
    from hybrid_recsys.models import make_model
    from hybrid_recsys.splits import split_dataset
    params = yaml.safe_load((project_root() / "experiments/tuned/ml-1m-recbole811-als.yaml").read_text())["params"]
    split = split_dataset(load_dataset("ml-1m"), "recbole811", seed=42)
    train = split.csr("train")
    peak = PeakMemory()
    fitted = make_model(model, **params, iterations=iterations)
    if model == "spark-als":
        from hybrid_recsys.spark import spark_session
        spark_session()  # the JVM's start is not the fit's
    start = time.perf_counter()
    fitted.fit(train)
    seconds = time.perf_counter() - start
    users = users_with_heldout(split.test)
    ndcg = float(ranking_metrics(fitted.recommend(users, train, 10)[0], split.test, users, (10,))["ndcg@10"].mean())
    print(json.dumps({"model": model, "iterations": iterations, "fit_s": seconds, "peak_rss_gb": peak.stop() / 1e9, "ndcg@10": ndcg, "params": params}))


GENERATED = "data/generated/ml20m-shape-seed0.parquet"


def training_matrix(dataset: str):
    "The users x items matrix a shape run fits: ML-1M's recbole811 training split, or the generated ML-20M-shaped catalog."
    import numpy as np, pyarrow.parquet as pq, scipy.sparse as sp
    from hybrid_recsys.core import project_root
    if dataset == "ml-1m":
        from hybrid_recsys.data import load_dataset
        from hybrid_recsys.splits import split_dataset
        return split_dataset(load_dataset("ml-1m"), "recbole811", seed=42).csr("train")
    table = pq.read_table(project_root() / GENERATED, columns=["user_id", "item_id"])
    users, items = table["user_id"].to_numpy(), table["item_id"].to_numpy()
    return sp.csr_matrix((np.ones(len(users), np.float32), (users, items)), shape=(int(users.max()) + 1, int(items.max()) + 1))


def shape_child(dataset: str, model: str, iterations: int, factors: int):
    "One fit of `model` on `dataset` in this process; prints its time and peak memory as JSON."
    from hybrid_recsys.models import make_model
    train = training_matrix(dataset)
    peak = PeakMemory()
    fitted = make_model(model, factors=factors, regularization=100.0, alpha=10.0, iterations=iterations)
    if model == "spark-als":
        from hybrid_recsys.spark import spark_session
        spark_session()
    start = time.perf_counter()
    fitted.fit(train)
    seconds = time.perf_counter() - start
    print(json.dumps({"dataset": dataset, "model": model, "iterations": iterations, "fit_s": seconds, "peak_rss_gb": peak.stop() / 1e9,
                      "users": train.shape[0], "items": train.shape[1], "interactions": int(train.nnz)}))


def shapes(factors: int):
    "implicit and Spark local mode on ML-1M and on the ML-20M-shaped catalog, side by side."
    from hybrid_recsys.core import project_root
    from hybrid_recsys.spark import generate_interactions
    if not (project_root() / GENERATED).exists():
        start = time.perf_counter()
        generate_interactions(project_root() / GENERATED, seed=0)
        print(f"generated {GENERATED} in {time.perf_counter() - start:.0f} s", flush=True)
    rows = []
    for dataset in ("ml-1m", "generated"):
        for model in ("als", "spark-als"):
            env = {**os.environ, "HRS_SPARK_DRIVER_MEMORY": "12g" if dataset == "generated" else os.environ.get("HRS_SPARK_DRIVER_MEMORY", "4g")}
            fits = {}
            for iterations in (1, 3):
                out = subprocess.run([sys.executable, __file__, "--shape-child", dataset, model, str(iterations), str(factors)],
                                     capture_output=True, text=True, env=env)
                if out.returncode: sys.exit(f"{dataset} {model} {iterations}: failed\n{out.stderr[-3000:]}")
                fits[iterations] = json.loads(out.stdout.strip().splitlines()[-1])
                print(json.dumps(fits[iterations]), flush=True)
            one, three = fits[1], fits[3]
            rows.append({**three, "per_iteration_s": (three["fit_s"] - one["fit_s"]) / 2, "start_s": one["fit_s"] - (three["fit_s"] - one["fit_s"]) / 2})
    print(f"\n{factors} factors, λ 100, alpha 10; per iteration = (fit of 3 - fit of 1) / 2; start = fit of 1 - one iteration\n")
    print("| data | users | items | interactions | library | per iteration (s) | start-up and hand-over (s) | peak memory (GB) |\n|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['users']:,} | {r['items']:,} | {r['interactions']:,} | {'implicit' if r['model'] == 'als' else 'Spark local'} "
              f"| {r['per_iteration_s']:.2f} | {r['start_s']:.1f} | {r['peak_rss_gb']:.2f} |")
    for dataset in ("ml-1m", "generated"):
        als, spark = (r for r in rows if r["dataset"] == dataset)
        print(f"{dataset}: Spark / implicit per iteration = {spark['per_iteration_s'] / als['per_iteration_s']:.0f}x")


def batch(n: int = 100):
    "Seconds and peak memory of `batch_top_n` (the top n of every user, in Spark local mode) on both shapes."
    for dataset in ("ml-1m", "generated"):
        env = {**os.environ, "HRS_SPARK_DRIVER_MEMORY": "12g" if dataset == "generated" else os.environ.get("HRS_SPARK_DRIVER_MEMORY", "4g")}
        out = subprocess.run([sys.executable, __file__, "--batch-child", dataset, str(n)], capture_output=True, text=True, env=env)
        if out.returncode: sys.exit(f"{dataset}: failed\n{out.stderr[-3000:]}")
        print(out.stdout.strip().splitlines()[-1], flush=True)


def batch_child(dataset: str, n: int):
    import tempfile
    import pyarrow.parquet as pq
    from hybrid_recsys.als import ALS
    from hybrid_recsys.spark import batch_top_n, spark_session
    train = training_matrix(dataset)
    model = ALS(factors=128, regularization=100.0, alpha=10.0, iterations=5).fit(train)
    spark_session()
    peak = PeakMemory()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        batch_top_n(model, f"{tmp}/scores", n)
        seconds = time.perf_counter() - start
        rows = sum(pq.read_metadata(f"{tmp}/scores/top_n/{part}").num_rows for part in os.listdir(f"{tmp}/scores/top_n") if part.endswith(".parquet"))
    print(json.dumps({"dataset": dataset, "users": train.shape[0], "items": train.shape[1], "n": n, "batch_s": round(seconds, 1),
                      "users_per_s": round(train.shape[0] / seconds), "peak_rss_gb": round(peak.stop() / 1e9, 2), "rows": rows}))


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
    elif len(sys.argv) > 1 and sys.argv[1] == "--shape-child": shape_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--batch-child": batch_child(sys.argv[2], int(sys.argv[3]))
    else:
        with recorded():
            if sys.argv[1:] == ["--batch"]: batch()
            elif sys.argv[1:] == ["--scales"]: scales()
            elif sys.argv[1:2] == ["--shapes"]: shapes(int(sys.argv[3]) if sys.argv[2:3] == ["--factors"] else 128)
            else: main()
