"""The diversity knob's trade-off on MovieLens-1M: NDCG@10 against intra-list diversity and genre coverage, over the knob's range.

Fits the hybrid (ml-1m / recbole811 by default, its tuned parameters) on the training rows of seed 42's split, ranks
every validation user's top 60 (`rank_users`), and re-orders each list by maximal marginal relevance
(`HybridRecommender.diversify`, chapter 14) with the knob at 0, 0.1, 0.2, 0.3, 0.5, 0.7 and 0.9. For each setting,
over the validation users (the test rows are never read), each with its 95% bootstrap interval (`bootstrap_mean`):
- NDCG@10 on the validation rows;
- intra-list diversity: the mean cosine distance between two items of a top 10, in the content source's item vectors
  (text, and posters when $HRS_POSTERS_DIR has them): what MMR works on;
- genre coverage: the share of the catalog's genres a top 10 holds, which MMR never sees.
Writes results/diversity.md, .json and the plot results/diversity.png.
Run: `.venv/bin/python benchmarks/diversity.py [--dataset ml-1m --protocol recbole811]`.
"""
import argparse, os, time

os.environ.setdefault("HRS_QUIET", "1")
import numpy as np
from harness import RESULTS, write_results

KNOB = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)


def interval(values: np.ndarray) -> tuple[float, float, float]:
    "(mean, low, high): the mean with its 95% bootstrap interval over users."
    from hybrid_recsys.metrics import bootstrap_mean
    found = bootstrap_mean(values)
    return found.mean, found.low, found.high


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-1m")
    parser.add_argument("--protocol", default="recbole811")
    parser.add_argument("--pool", type=int, default=60, help="items ranked per user, that MMR re-orders")
    args = parser.parse_args()
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.evaluate import load_tuned
    from hybrid_recsys.metrics import intra_list_diversity, paired_comparison, ranking_metrics, users_with_heldout
    from hybrid_recsys.models import make_model
    from hybrid_recsys.splits import split_dataset
    split = split_dataset(load_dataset(args.dataset), args.protocol, seed=42)
    params = {**(load_tuned(args.dataset, args.protocol, "hybrid") or {}), "n_candidates": max(200, args.pool)}
    start = time.perf_counter()
    model = make_model("hybrid", dataset=split.dataset, protocol=args.protocol, **params).fit(split.csr("train"))
    fit_s = time.perf_counter() - start
    valid = split.csr("valid")
    users = users_with_heldout(valid)
    pool = model.rank_users(users, split.csr("train"), args.pool)
    vectors = model.generator.sources["content"].item_vectors()
    genres = split.dataset.genre_matrix()[0].toarray() > 0
    rows, data, baseline = [], [], None
    for knob in KNOB:
        start = time.perf_counter()
        top = model.diversify(pool, 10, knob).items
        ms = (time.perf_counter() - start) * 1000 / len(users)
        ndcg = ranking_metrics(top, valid, users, (10,))["ndcg@10"]
        ild = intra_list_diversity(top, vectors)
        coverage = np.array([genres[t[t >= 0]].any(0).mean() for t in top])
        baseline = ndcg if baseline is None else baseline
        change = paired_comparison(baseline, ndcg)
        row = {"diversity": knob, "ndcg@10": interval(ndcg), "intra-list diversity": interval(ild),
               "genre coverage": interval(coverage), "ndcg@10 change": str(change), "ms per list": ms}
        data.append(row)
        rows.append(f"| {knob:.1f} | {row['ndcg@10'][0]:.4f} [{row['ndcg@10'][1]:.4f}, {row['ndcg@10'][2]:.4f}] "
                    f"| {'' if knob == 0 else str(change).split(', p')[0]} "
                    f"| {row['intra-list diversity'][0]:.3f} [{row['intra-list diversity'][1]:.3f}, {row['intra-list diversity'][2]:.3f}] "
                    f"| {row['genre coverage'][0]:.3f} [{row['genre coverage'][1]:.3f}, {row['genre coverage'][2]:.3f}] | {ms:.2f} |")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, key in zip(axes, ("intra-list diversity", "genre coverage")):
        x, y = [r[key][0] for r in data], [r["ndcg@10"][0] for r in data]
        ax.errorbar(x, y, xerr=[[r[key][0] - r[key][1] for r in data], [r[key][2] - r[key][0] for r in data]],
                    yerr=[[r["ndcg@10"][0] - r["ndcg@10"][1] for r in data], [r["ndcg@10"][2] - r["ndcg@10"][0] for r in data]],
                    marker="o", capsize=3)
        for r in data:
            ax.annotate(f"{r['diversity']:.1f}", (r[key][0], r["ndcg@10"][0]), textcoords="offset points", xytext=(5, 4), fontsize=8)
        ax.set_xlabel(f"{key} of a top 10"); ax.grid(alpha=0.3)
    axes[0].set_ylabel("validation NDCG@10")
    fig.suptitle(f"{args.dataset} / {args.protocol}: the diversity knob (MMR over content vectors), labels = knob")
    fig.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    fig.savefig(RESULTS / "diversity.png", dpi=110)
    pictures = int(split.dataset.items["image_path"].notna().sum()) if "image_path" in split.dataset.items else 0
    text = (f"{args.dataset} / {args.protocol}, seed 42: the hybrid fitted on the training rows (fit took {fit_s:.0f} s); "
            f"{len(users):,} validation users, each list's top {args.pool} re-ordered by MMR over the content vectors "
            f"(text{' and posters: ' + format(pictures, ',') + ' items with one' if pictures else ''}); 95% intervals over users.\n\n"
            "| diversity | NDCG@10 | against 0 (paired) | intra-list diversity | genre coverage | MMR ms per list |\n"
            "|---|---|---|---|---|---|\n"
            + "\n".join(rows) + "\n\n![NDCG@10 against intra-list diversity and genre coverage](diversity.png)\n")
    print(text)
    print(f"results: {write_results('diversity', text, {'rows': data})}")


if __name__ == "__main__":
    main()
