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
import argparse, json, sys, warnings


from harness import print_table, recorded, validation_scores
from hybrid_recsys.core import ConfigError, HRSError


def parse_config(text: str) -> tuple[str, dict]:
    "LABEL=JSON -> (label, parameters)."
    if "=" not in text: raise ConfigError(f"--config {text!r}: expected LABEL=JSON, e.g. 'ten networks={{\"n_models\": 10}}'")
    label, body = text.split("=", 1)
    try: params = json.loads(body)
    except json.JSONDecodeError as error: raise ConfigError(f"--config {label}: not a JSON object ({error})") from None
    if not isinstance(params, dict): raise ConfigError(f"--config {label}: expected a JSON object, got {body!r}")
    return label, params


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
    with recorded():
        main()
