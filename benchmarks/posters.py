"""Where MovieLens-1M's posters pay: cold items ranked by content (text, poster, both) and by content mapped to ALS factors.

The `cold-items` protocol on ML-1M with its posters ($HRS_POSTERS_DIR, default ../shared/data/ml-1m-posters): a fifth of the films
never appear in training, and each test user's held-out interactions with them are ranked among those films. Over --seeds (five
splits by default), each row's free parameters chosen on that split's own validation cold items, test scored once:
- random, pop: the floors;
- content (text / poster / both): `ContentRecommender` with image_weight=0 / text_weight=0 / both at 1, its profile weighting
  (none or rating) chosen on validation (centred vectors, no recency decay: what validation picks on ML-100K and ML-1M);
- content2cf (text / both): `ContentToCF`, its ridge penalty l2 in {3, 10, 30} chosen on validation, ALS as tuned for ML-1M
  (experiments/tuned/ml-1m-recbole811-als.yaml).
Paired differences are pooled over the splits per user (bootstrap 95% intervals). Writes benchmarks/results/posters.{md,json}
(--no-write: print only). `.venv/bin/python benchmarks/posters.py [--seeds 42,1,2,3,4]` (about 3 minutes per split here).
"""
import argparse, json, os, sys, time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

ROWS = {  # label -> (model, fixed parameters, grid searched on validation)
    "random": ("random", {}, {}),
    "pop": ("pop", {}, {}),
    "content (text)": ("content", {"image_weight": 0.0, "center": True, "half_life_days": None}, {"weighting": ["none", "rating"]}),
    "content (poster)": ("content", {"text_weight": 0.0, "center": True, "half_life_days": None}, {"weighting": ["none", "rating"]}),
    "content (both)": ("content", {"center": True, "half_life_days": None}, {"weighting": ["none", "rating"]}),
    "content2cf (text)": ("content2cf", {"image_weight": 0.0}, {"l2": [3.0, 10.0, 30.0]}),
    "content2cf (both)": ("content2cf", {"image_weight": 1.0}, {"l2": [3.0, 10.0, 30.0]}),
}
COMPARISONS = [("content (text)", "content (both)"), ("content (text)", "content (poster)"), ("content2cf (text)", "content2cf (both)"),
               ("content (both)", "content2cf (both)"), ("content (text)", "content2cf (both)")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="42,1,2,3,4")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HRS_QUIET", "1")
    os.environ.setdefault("HRS_POSTERS_DIR", str(ROOT.parent / "shared" / "data" / "ml-1m-posters"))
    from hybrid_recsys.cli import markdown_table
    from hybrid_recsys.core import seed_everything
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.evaluate import SplitsEvaluation, evaluate, load_tuned, pooled_comparison, splits_table, tune
    from hybrid_recsys.splits import split_dataset
    seeds = [int(s) for s in args.seeds.split(",")]
    dataset = load_dataset("ml-1m")
    if dataset.items["image_path"].isna().all(): sys.exit(f"error: no posters: set HRS_POSTERS_DIR (now {os.environ['HRS_POSTERS_DIR']})")
    als = {k: v for k, v in (load_tuned("ml-1m", "recbole811", "als") or {}).items() if k in ("factors", "regularization", "alpha")}
    evaluations, chosen, raw_users = ({label: [] for label in ROWS} for _ in range(3))
    started = time.perf_counter()
    for seed in seeds:
        seed_everything(seed)
        split = split_dataset(dataset, "cold-items", seed=seed)
        for label, (model, fixed, grid) in ROWS.items():
            fixed = {**fixed, **(als if model == "content2cf" else {})}
            params = tune(model, split, grid=grid, fixed=fixed)[0] if grid else fixed
            evaluation = evaluate(model, split, params=params)
            evaluation.fitted = None
            evaluations[label].append(evaluation); chosen[label].append({k: params[k] for k in grid})
            raw_users[label].append(np.asarray(split.dataset.user_ids)[evaluation.user_ids])
            print(f"seed {seed}: {label}: NDCG@10 {evaluation.per_user['ndcg@10'].mean():.4f} ({params}) "
                  f"[{time.perf_counter() - started:.0f} s]", file=sys.stderr, flush=True)
    results = {label: SplitsEvaluation(label, evals, "split", raw_users[label]) for label, evals in evaluations.items()}
    table = splits_table(list(results.values()), columns=("precision@10", "recall@10", "ndcg@10"), reference="content (text)")
    pairs = [{"a": a, "b": b, "ndcg@10 b - a": str(pooled_comparison(results[a], results[b])),
              "relative": f"{results[b].mean_std('ndcg@10')[0] / results[a].mean_std('ndcg@10')[0] - 1:+.1%}"} for a, b in COMPARISONS]
    lines = [f"ML-1M `cold-items`, seeds {', '.join(map(str, seeds))}; {int(dataset.items['image_path'].notna().sum()):,} of "
             f"{dataset.n_items:,} films with a poster; offline encoder (MiniLM-L6 text, EfficientNet-lite0 posters); each row's free "
             "parameters chosen on each split's validation cold items; mean ± standard deviation over the splits.", "",
             markdown_table(table), "", "Paired NDCG@10 differences, pooled over the splits per user (95% bootstrap interval):", "",
             "| A | B | B - A | B / A |", "|---|---|---|---|", *[f"| {p['a']} | {p['b']} | {p['ndcg@10 b - a']} | {p['relative']} |" for p in pairs],
             "", "Chosen on validation, per split: " + "; ".join(f"{label}: {chosen[label]}" for label in ROWS if ROWS[label][2])]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        results_dir = ROOT / "benchmarks" / "results"; results_dir.mkdir(exist_ok=True)
        (results_dir / "posters.md").write_text(f"# benchmarks/posters.py\n\nMeasured {time.strftime('%Y-%m-%d')}: "
                                                f"`{' '.join(['benchmarks/posters.py', *sys.argv[1:]])}`\n\n{text}")
        (results_dir / "posters.json").write_text(json.dumps({"measured": time.strftime("%Y-%m-%d %H:%M"), "seeds": seeds, "pairs": pairs,
                                                              "chosen": chosen, "rows": {label: r.to_dict() for label, r in results.items()}}, indent=1, default=str))


if __name__ == "__main__":
    main()
