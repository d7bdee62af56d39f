"""Where MovieLens-1M's posters pay: content (text, poster, both), content mapped to ALS factors, and the hybrid without and with pictures.

ML-1M with its posters ($HRS_POSTERS_DIR, default ../shared/data/ml-1m-posters) under one --protocol:
- `cold-items`: a fifth of the films never appear in training, and each test user's held-out interactions with them are
  ranked among those films;
- `new-items`: a share of the films never appear in training, and the whole catalog is ranked for every test user (the new
  films have to come through next to the warm ones; the table adds their share of the lists and their own NDCG and recall);
- `recbole811`: RecBole's 8:1:1 split, every film warm.
Over --seeds (five splits by default), each row's free parameters chosen on that split's own validation, test scored once:
- random, pop: the floors (not under recbole811);
- content (text / poster / both): `ContentRecommender` with image_weight=0 / text_weight=0 / both at 1, its profile weighting
  (none or rating) chosen on validation (centred vectors, no recency decay: what validation picks on ML-100K and ML-1M);
- content2cf (text / both): `ContentToCF`, its ridge penalty l2 in {3, 10, 30} chosen on validation, ALS as tuned for ML-1M
  (experiments/tuned/ml-1m-recbole811-als.yaml) (not under recbole811);
- hybrid (text / both): the ML-1M hybrid's tuned sources and candidates (experiments/tuned/ml-1m-recbole811-*.yaml) with one
  re-ranker network (--networks; the tuned five take four times as long), its content source without and with posters (with
  posters the re-ranker also gets `visual_affinity`, nb 13; not under cold-items, where it ranks every film densely: about
  8 minutes a fit here, `--rows 'hybrid (text)'` adds it); under new-items also with `content2cf` (both) as a fifth source,
  its l2 the one the content2cf (both) row chose on that split's validation.
Paired differences are pooled over the splits per user (bootstrap 95% intervals). Writes
benchmarks/results/posters-<protocol>.{md,json} (--no-write: print only).
`.venv/bin/python benchmarks/posters.py --protocol cold-items [--seeds 42,1,2,3,4]` (cold-items: about 3 minutes per split
here; new-items: about 9, recbole811: about 5).
"""
import argparse, os, sys, time

import numpy as np

from harness import ROOT, write_results

CONTENT = {"center": True, "half_life_days": None}
ROWS = {  # label -> (model, fixed parameters, grid searched on validation, protocols); hybrids get their sources' parameters in `main`
    "random": ("random", {}, {}, ("cold-items", "new-items")),
    "pop": ("pop", {}, {}, ("cold-items", "new-items")),
    "content (text)": ("content", {"image_weight": 0.0, **CONTENT}, {"weighting": ["none", "rating"]}, ()),
    "content (poster)": ("content", {"text_weight": 0.0, **CONTENT}, {"weighting": ["none", "rating"]}, ()),
    "content (both)": ("content", CONTENT, {"weighting": ["none", "rating"]}, ()),
    "content2cf (text)": ("content2cf", {"image_weight": 0.0}, {"l2": [3.0, 10.0, 30.0]}, ("cold-items", "new-items")),
    "content2cf (both)": ("content2cf", {"image_weight": 1.0}, {"l2": [3.0, 10.0, 30.0]}, ("cold-items", "new-items")),
    "hybrid (text)": ("hybrid", {"image_weight": 0.0}, {}, ("new-items", "recbole811")),
    "hybrid (both)": ("hybrid", {"image_weight": 1.0}, {}, ("new-items", "recbole811")),
    "hybrid + content2cf (both)": ("hybrid", {"image_weight": 1.0, "content2cf": True}, {}, ("new-items",)),
}
COMPARISONS = [("content (text)", "content (both)"), ("content (text)", "content (poster)"), ("content2cf (text)", "content2cf (both)"),
               ("content (both)", "content2cf (both)"), ("content (text)", "content2cf (both)"), ("hybrid (text)", "hybrid (both)"),
               ("hybrid (both)", "hybrid + content2cf (both)")]
PROTOCOL_COLUMNS = {"cold-items": ("precision@10", "recall@10", "ndcg@10"), "recbole811": ("precision@10", "recall@10", "ndcg@10"),
                    "new-items": ("recall@10", "ndcg@10", "new_share@10", "new_ndcg@10", "new_recall@10")}


def relative(a: float, b: float) -> str:
    "B against A as a percentage; 'n/a' where A is zero (content2cf puts no new film in a top 10, for one)."
    return f"{b / a - 1:+.1%}" if a else "n/a"


def hybrid_params(fixed: dict, tuned: dict, chosen_l2: float | None, encoder: str) -> dict:
    "The hybrid's parameters: the tuned ML-1M hybrid's sources and candidates, each source's tuned parameters, posters on or off."
    from hybrid_recsys.evaluate import load_tuned
    hybrid = {k: v for k, v in (load_tuned("ml-1m", "recbole811", "hybrid") or {}).items() if k in ("sources", "n_candidates")}
    sources = list(hybrid.get("sources", ["session_ease", "als", "content", "pop"]))
    source_params = {name: dict(load_tuned("ml-1m", "recbole811", name) or {}) for name in sources}
    source_params["content"] = {**source_params["content"], "image_weight": fixed["image_weight"], "encoder": encoder}
    if fixed.get("content2cf"):
        sources.append("content2cf")
        source_params["content2cf"] = {**tuned["als"], "image_weight": 1.0, "l2": chosen_l2, "encoder": encoder}
    return {**hybrid, "sources": sources, "source_params": source_params, "n_models": tuned["networks"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=list(PROTOCOL_COLUMNS), default="cold-items")
    parser.add_argument("--seeds", default="42,1,2,3,4")
    parser.add_argument("--networks", type=int, default=1, help="the hybrids' re-ranker networks")
    parser.add_argument("--encoder", default="offline", help="the content vectors' encoder (e.g. clip, once its weights are cached)")
    parser.add_argument("--rows", nargs="+", help="only these rows (labels, e.g. 'hybrid (both)'); implies --no-write")
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
    rows = {label: row for label, row in ROWS.items() if (label in (args.rows or [])) or (not args.rows and (not row[3] or args.protocol in row[3]))}
    if args.rows:
        args.no_write = True
        if unknown := set(args.rows) - set(ROWS): sys.exit(f"error: --rows {sorted(unknown)}: expected labels among {', '.join(ROWS)}")
    tuned, new_shares = {"als": als, "networks": args.networks}, []
    evaluations, chosen, raw_users = ({label: [] for label in rows} for _ in range(3))
    started = time.perf_counter()
    for seed in seeds:
        seed_everything(seed)
        split = split_dataset(dataset, args.protocol, seed=seed)
        if split.test_new is not None: new_shares.append(split.summary()["test_new_share"])
        for label, (model, fixed, grid, _) in rows.items():
            if model == "hybrid": fixed = hybrid_params(fixed, tuned, (chosen.get("content2cf (both)") or [{"l2": 3.0}])[-1]["l2"], args.encoder)
            fixed = {**fixed, **(als if model == "content2cf" else {}), **({"encoder": args.encoder} if model in ("content", "content2cf") else {})}
            params = tune(model, split, grid=grid, fixed=fixed)[0] if grid else fixed
            evaluation = evaluate(model, split, params=params)
            evaluation.fitted = None
            evaluations[label].append(evaluation); chosen[label].append({k: params[k] for k in grid})
            raw_users[label].append(np.asarray(split.dataset.user_ids)[evaluation.user_ids])
            print(f"seed {seed}: {label}: NDCG@10 {evaluation.per_user['ndcg@10'].mean():.4f} ({grid and {k: params[k] for k in grid}}) "
                  f"[{time.perf_counter() - started:.0f} s]", file=sys.stderr, flush=True)
    results = {label: SplitsEvaluation(label, evals, "split", raw_users[label]) for label, evals in evaluations.items()}
    table = splits_table(list(results.values()), columns=PROTOCOL_COLUMNS[args.protocol], reference="content (text)")
    metrics = ("ndcg@10", "new_ndcg@10") if args.protocol == "new-items" else ("ndcg@10",)
    pairs = [{"a": a, "b": b, "metric": metric, "b - a": str(pooled_comparison(results[a], results[b], metric)),
              "relative": relative(results[a].mean_std(metric)[0], results[b].mean_std(metric)[0])}
             for a, b in COMPARISONS if a in results and b in results for metric in metrics]
    new_share = "" if args.protocol != "new-items" else (
        f" New films are {np.mean(new_shares):.1%} of the test interactions (mean over the splits): `new_share@10` is to be set against it.")
    lines = [f"ML-1M `{args.protocol}`, seeds {', '.join(map(str, seeds))}; {int(dataset.items['image_path'].notna().sum()):,} of "
             f"{dataset.n_items:,} films with a poster; encoder {args.encoder}{' (MiniLM-L6 text, EfficientNet-lite0 posters)' if args.encoder == 'offline' else ''}; each row's free "
             f"parameters chosen on each split's validation; hybrids with {args.networks} re-ranker network(s); mean ± standard deviation over the splits.{new_share}", "",
             markdown_table(table), "", "Paired differences, pooled over the splits per user (95% bootstrap interval; new_ndcg@10 over the users with a new film in their test interactions):", "",
             "| A | B | metric | B - A | B / A |", "|---|---|---|---|---|", *[f"| {p['a']} | {p['b']} | {p['metric']} | {p['b - a']} | {p['relative']} |" for p in pairs],
             "", "Chosen on validation, per split: " + "; ".join(f"{label}: {chosen[label]}" for label in rows if rows[label][2])]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_results(f"posters-{args.protocol}", text, {"seeds": seeds, "protocol": args.protocol, "pairs": pairs, "chosen": chosen,
                                                          "rows": {label: r.to_dict() for label, r in results.items()}})


if __name__ == "__main__":
    main()
