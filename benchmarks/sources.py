"""Does another stage-1 source earn its place in the hybrid? Judged on validation only, by what it adds to the
candidates' recall and to the hybrid's final NDCG@10, not by its own NDCG.

For each validation draw of the protocol's seed-42 split (`redraw_validation`: the test rows are never touched):
every source is fitted on that draw's training rows with its tuned parameters, and the recall@N of each source's own
list, of the union of the default sources' lists, and of that union with the new source added is measured on the
draw's validation rows. Then the hybrid is scored (`tune`, 5 re-ranker members) with its default sources and with the
new source added.
Run: `.venv/bin/python benchmarks/sources.py --dataset ml-100k --protocol ms75 --add rp3beta` (about 4 minutes on 2 cores
for ML-100K; ML-1M: `--dataset ml-1m --protocol recbole811 --draws 2 --members 1`, about 25 minutes). With `--replace ease`
the new source stands in for that default instead of joining them (`--add session_ease --replace ease`).
"""
import argparse, warnings

import numpy as np
import pandas as pd

from hybrid_recsys.data import load_dataset
from hybrid_recsys.evaluate import heldout_users, load_tuned, redraw_validation, tune
from hybrid_recsys.hybrid import DEFAULT_SOURCES
from hybrid_recsys.models import make_model
from hybrid_recsys.retrieval import CandidateGenerator, stage1_recall
from hybrid_recsys.splits import split_dataset
from harness import recorded


def union_recall(split, names: list[str], fitted: dict, ns=(50, 100)) -> dict:
    "Recall@N of each listed source and of the union of their top-N lists, on the draw's validation rows."
    users = heldout_users(split, "valid")
    generator = CandidateGenerator({n: fitted[n] for n in names}, max(ns), max(ns))
    recalls, sizes = stage1_recall(generator.generate(users, split.train), split.valid, ns)
    return {f"{name} recall@{n}": float(recalls[name][n].mean()) for name in ("union", *names) for n in ns} | \
           {f"union size@{n}": float(sizes[n].mean()) for n in ns}


def main():
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-100k"); parser.add_argument("--protocol", default="ms75")
    parser.add_argument("--add", default="rp3beta", help="the source tried beside the defaults")
    parser.add_argument("--replace", default=None, help="a default source the new one replaces (default: it is added)")
    parser.add_argument("--draws", type=int, default=4); parser.add_argument("--members", type=int, default=5)
    args = parser.parse_args()
    data = load_dataset(args.dataset)
    split = split_dataset(data, args.protocol, seed=42)
    base = list(DEFAULT_SOURCES)
    if args.replace is not None and args.replace not in base: parser.error(f"--replace {args.replace}: expected one of the default sources {', '.join(base)}")
    added = [args.add if name == args.replace else name for name in base] if args.replace else [*base, args.add]
    rows = []
    for draw in range(args.draws):
        valid = redraw_validation(split, draw)
        fitted = {name: make_model(name, dataset=valid.dataset, protocol=args.protocol,
                                   **(load_tuned(data.name, args.protocol, name) or {})).fit(valid.train) for name in dict.fromkeys(base + added)}
        rows.append({"draw": draw} | {f"defaults: {k}": v for k, v in union_recall(valid, base, fitted).items() if k.startswith("union")}
                    | union_recall(valid, added, fitted))
    recall = pd.DataFrame(rows).set_index("draw")
    print(recall.mean().round(4).to_string(), "\n")
    _, table = tune("hybrid", split, grid={"sources": [base, added]}, fixed={"n_models": args.members}, repeats=args.draws)
    table["sources"] = table["sources"].map(", ".join)
    print(table.to_string())


if __name__ == "__main__":
    with recorded():
        main()
