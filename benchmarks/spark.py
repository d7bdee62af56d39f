"""implicit against Spark local mode: ALS on MovieLens-1M (recbole811) with the same factors, regularisation and confidence.

Each fit runs in its own process, so that its peak memory (the process and its children, the JVM included, sampled
every 50 ms) is its own. Per-iteration time is (time of N iterations - time of 1) / (N - 1), which leaves out start-up
(Spark's JVM, the data's trip into Spark). Test NDCG@10 of both, on the same split (the test split of the protocol; the
parameters are implicit's, tuned on validation: experiments/tuned/ml-1m-recbole811-als.yaml). SparkALS maps the
regularisation as nbs/07a_spark.ipynb explains (regParam = λ / the larger mean interactions per user or per item, chosen on validation).
Run: `.venv/bin/python benchmarks/spark.py` (about 10 minutes on 2 cores).
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
    else: main()
