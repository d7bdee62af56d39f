"""The re-ranker chosen on validation only: the neural ensemble against LightGBM's LambdaMART at several tree settings.

ML-100K `ms75`, seed 42's split, the hybrid with 5 re-ranker members, each point scored on 4 validation draws
(`redraw_validation`: the test rows are never touched). `hybrid-recsys tune --grid ranker=neural,lambdamart
--grid n_models=5 --repeats 4` compares the two at LambdaMART's defaults; this script adds the tree settings, which the
command line's --grid cannot spell (they are a dict: `ranker_params`).
Run: `.venv/bin/python benchmarks/rankers.py` (about 5 minutes on 2 cores).
"""
import warnings

from hybrid_recsys.data import load_dataset
from hybrid_recsys.evaluate import tune
from hybrid_recsys.splits import split_dataset
from harness import recorded

TREES = [{}, {"num_leaves": 15, "min_child_samples": 100}, {"num_leaves": 63, "min_child_samples": 20, "learning_rate": 0.03},
         {"num_leaves": 7, "learning_rate": 0.1}, {"num_leaves": 15, "min_child_samples": 200, "colsample_bytree": 0.5}]

def main():
    warnings.filterwarnings("ignore")
    split = split_dataset(load_dataset("ml-100k"), "ms75", seed=42)
    _, neural = tune("hybrid", split, grid={"ranker": ["neural"]}, fixed={"n_models": 5}, repeats=4)
    _, trees = tune("hybrid", split, grid={"ranker_params": TREES}, fixed={"ranker": "lambdamart", "n_models": 5}, repeats=4)
    print(neural.to_string(), "\n")
    print(trees.to_string())


if __name__ == "__main__":
    with recorded():
        main()
