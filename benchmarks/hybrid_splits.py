"""Hybrid configurations scored on the validation of several splits: is a change to the hybrid a gain, or one split's luck?

`hybrid-recsys tune --repeats N` re-draws the validation of one split (seed 42's); the five-split test table uses five
splits. This script does for validation what that table does for test, without touching a test row: for every seed it
makes the protocol's split, tunes each source on that split's own validation (its registry grid, as `baselines --seeds
... --tune` does), then fits every configuration on the split's training rows and scores it on the split's validation
rows. One line per configuration: the mean over the splits and each split's NDCG@10.

A configuration is a label and a JSON object of hybrid parameters, layered over the saved hybrid's settings outside its
grid (ML-100K: `sources`, `n_models` from experiments/tuned/), as `tuned_for_split` keeps them. The key `source_grids` (not a hybrid parameter) widens a source's validation grid
for that configuration, e.g. `{"source_grids": {"session_ease": {"dropout": [0, 0.5, 0.8, 0.9]}}}`.

Run: `.venv/bin/python benchmarks/hybrid_splits.py --config 'tuned={}' --config 'ten networks={"n_models": 10}'`
(ML-100K `ms75`, seeds 42,1,2,3,4: about 4 minutes of source tuning, then about 80 s per configuration on 2 cores).
"""
import argparse, json, sys, time, warnings

import numpy as np

from hybrid_recsys.core import ConfigError, HRSError, seed_everything
from hybrid_recsys.data import load_dataset
from hybrid_recsys.evaluate import fit_for_validation, load_tuned, tune, validation_score
from hybrid_recsys.hybrid import DEFAULT_SOURCES
from hybrid_recsys.models import MODELS
from hybrid_recsys.splits import split_dataset


def parse_config(text: str) -> tuple[str, dict]:
    "LABEL=JSON -> (label, parameters)."
    if "=" not in text: raise ConfigError(f"--config {text!r}: expected LABEL=JSON, e.g. 'ten networks={{\"n_models\": 10}}'")
    label, body = text.split("=", 1)
    try: params = json.loads(body)
    except json.JSONDecodeError as error: raise ConfigError(f"--config {label}: not a JSON object ({error})") from None
    if not isinstance(params, dict): raise ConfigError(f"--config {label}: expected a JSON object, got {body!r}")
    return label, params


def validation_scores(dataset: str, protocol: str, seeds: list[int], configs: dict[str, dict]) -> dict[str, list[float]]:
    "Label -> validation NDCG@10 on each seed's split, every source tuned on that split's own validation; no test row is read."
    data = load_dataset(dataset)
    saved = load_tuned(data.name, protocol, "hybrid") or {}
    scores = {label: [] for label in configs}
    for seed in seeds:
        seed_everything(seed)
        split = split_dataset(data, protocol, seed=seed)
        tuned = {}  # (source, its grid as JSON) -> parameters chosen on this split's validation
        for label, params in configs.items():
            params = {**{k: v for k, v in saved.items() if k not in MODELS["hybrid"][1]}, **params}  # the saved settings outside the hybrid's grid, as `tuned_for_split` keeps them
            grids = params.pop("source_grids", {})
            source_params = {}
            for name in params.get("sources", DEFAULT_SOURCES):
                grid = {**MODELS[name][1], **grids.get(name, {})}
                key = (name, json.dumps(grid, sort_keys=True))
                if key not in tuned: tuned[key] = tune(name, split, grid=grid)[0]
                source_params[name] = tuned[key]
            start = time.perf_counter()
            model = fit_for_validation("hybrid", {**params, "source_params": {**source_params, **params.get("source_params", {})}}, split)
            scores[label].append(validation_score(model, split))
            print(f"seed {seed}, {label}: {scores[label][-1]:.4f} ({time.perf_counter() - start:.0f} s); sources {source_params}", flush=True)
    return scores


def print_table(title: str, seeds: list[int], scores: dict[str, list[float]], first_column: str = "configuration"):
    "The scores as a Markdown table under `title`: a row per label, its mean and each split."
    print(f"\n{title}: validation NDCG@10 on each split (seeds {', '.join(map(str, seeds))}); test rows untouched\n")
    print(f"| {first_column} | mean | " + " | ".join(f"seed {s}" for s in seeds) + " |")
    print("|---|---|" + "---|" * len(seeds))
    for label, values in scores.items():
        print(f"| {label} | {np.mean(values):.4f} | " + " | ".join(f"{v:.4f}" for v in values) + " |")


def main(argv: list[str] | None = None):
    "Parse the command line (--dataset, --protocol, --seeds, --config ...), score the configurations and print the table."
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-100k"); parser.add_argument("--protocol", default="ms75")
    parser.add_argument("--seeds", default="42,1,2,3,4", help="one split per seed")
    parser.add_argument("--config", action="append", default=[], help="LABEL=JSON of hybrid parameters (repeatable)")
    args = parser.parse_args(argv)
    try: configs = dict(parse_config(text) for text in (args.config or ["tuned={}"]))
    except ConfigError as error: parser.error(str(error))
    seeds = [int(s) for s in args.seeds.split(",")]
    try: scores = validation_scores(args.dataset, args.protocol, seeds, configs)
    except HRSError as error: sys.exit(f"error: {error}")  # a configuration the library refuses (a misspelt feature, CLIP weights offline): one line, as the CLI says it
    print_table(f"{args.dataset} / {args.protocol}", seeds, scores)


if __name__ == "__main__":
    main()
