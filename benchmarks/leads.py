"""Leads for ML-100K beyond the tuned hybrid, each scored on validation rows only: more from the timestamps, and two richer EASEs.

Session EASE (nb 05) is the one change that moved the hybrid (validation +0.0046, test +0.003): its Gram matrix also
counts the item pairs a user rated close together in time. This script tries four other readings of the same timestamps
and two richer linear models on ML-100K `ms75`, none of which reads a test row:

- `bridge`: a stage-1 source scoring an item by how well it fits *between* two consecutive items of the user's time order,
  judged by other users' orders (directed counts of items up to `steps` places apart, decayed by `decay` per place). It is
  added to the tuned hybrid's sources and scored on the five splits' validation (`hybrid_splits.validation_scores`).
- `als`: ALS fitted with every user's sessions (runs of ratings less than `gap` seconds apart) as extra rows, so items
  taken in one sitting get close factors; its own validation NDCG@10 beside plain ALS's.
- `pages`: session EASE whose Gram also counts the pairs rated within `page_seconds` (one submitted page of the old
  MovieLens site: 37% of consecutive ratings share their second), on top of its 5-minute pairs.
- `release`: session EASE with every item whose first training rating (by anyone) comes after the user's last training
  rating pushed to the bottom (it was not out yet when the user rated).
- `pairs`: higher-order EASE (Steck and Liang, RecSys 2021): the most co-taken item pairs become extra inputs (a user
  has pair (i, j) when they took both), a pair never predicting its own items; closed form, own validation beside EASE's.
- `ratings`: EASE with a second input channel, the user-centred rating of each taken item, predicting what is taken.

Two changes to the re-ranker, scored like `bridge` on the five splits' validation:

- `residual`: the neural re-ranker learns a residual over one feature, session EASE's z-scored score (or the fused RRF
  score): its score is `scale` x that feature + the MLP's output, the MLP's last layer starting at zero, so training
  starts from that order instead of from nothing; at the neural re-ranker's learning rate (3e-3) and at a tenth of it.
- `features`: the session pairs alone (session EASE's pair weights, cosine-normalised) as re-ranker features: a source with
  RRF weight 0, so it proposes nothing but every candidate gets its session similarity to the user's history (the
  largest over the history, or the sum) as a z-scored score, a rank and a listed flag.

Run: `.venv/bin/python benchmarks/leads.py` (all eight, about 20 minutes on 2 cores) or some of them (`--part residual features`)
`bridge`, `residual` and `features` tune every source on each split's own validation, seeds 42, 1, 2, 3, 4, and share one
table with the tuned hybrid; the other parts use the saved parameters (experiments/tuned/, chosen on seed 42's
validation) on seeds 42, 1 and 2.
"""
import argparse, sys, warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

sys.path.insert(0, str(Path(__file__).parent))
from harness import print_table, recorded, validation_scores
from hybrid_recsys.als import ALS
from hybrid_recsys.data import load_dataset
from hybrid_recsys.evaluate import load_tuned, validation_score
from hybrid_recsys.hybrid import DEFAULT_SOURCES
from hybrid_recsys.models import EASE, MODELS, Recommender, SessionEASE, pair_times, session_gram, time_ordered
from hybrid_recsys.rerank import RERANKERS, Reranker
from hybrid_recsys.splits import split_dataset


def time_order(dataset, train_csr: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    "(users, items, timestamps) of the training pairs that have a time, sorted by user, then time, then item."
    binary = train_csr.copy(); binary.data[:] = 1.0
    return time_ordered(binary, pair_times(dataset, binary))


class GapBridge(Recommender):
    "Scores item b by the sum, over the user's consecutive training items (a, c), of P(b follows a) x P(b precedes c) in other users' time orders."
    name = "bridge"
    needs_dataset = True
    def __init__(self, dataset=None, steps: int = 3, decay: float = 0.7):
        self.dataset, self.steps, self.decay = dataset, int(steps), float(decay)
        self.params = {"steps": self.steps, "decay": self.decay}

    def fit(self, train_csr):
        train_csr = self.remember_training(train_csr)
        users, items, _ = time_order(self.dataset, train_csr)
        n = self.n_items
        follows = np.zeros(n * n)  # [a, b]: decayed count of b taken up to `steps` places after a
        for offset in range(1, self.steps + 1):
            same = users[offset:] == users[:-offset]
            follows += np.bincount(items[:-offset][same] * n + items[offset:][same], minlength=n * n) * self.decay ** (offset - 1)
        follows = follows.reshape(n, n)
        counts = np.asarray((train_csr > 0).sum(0)).ravel() + 1.0
        self.after_, self.before_ = follows / counts[:, None], (follows / counts[None, :]).T.copy()  # after_[a, b], before_[c, b]
        self.items_, self.starts_ = items, np.searchsorted(users, np.arange(self.n_users + 1))
        return self

    def score_users(self, user_ids):
        scores = np.zeros((len(user_ids), self.n_items), np.float32)
        for row, user in enumerate(user_ids):  # a scratch source: a loop over users is fine at ML-100K's size
            order = self.items_[self.starts_[user]:self.starts_[user + 1]]
            if len(order) >= 2: scores[row] = (self.after_[order[:-1]] * self.before_[order[1:]]).sum(0)
        return scores


class SessionRowsALS(ALS):
    "ALS fitted on the users' rows plus one extra row per session (a run of the user's ratings less than `gap` seconds apart, two items or more)."
    def __init__(self, dataset=None, gap: float = 1800.0, **params):
        super().__init__(**params)
        self.dataset, self.gap = dataset, float(gap)

    def fit(self, train_csr):
        users, items, times = time_order(self.dataset, train_csr)
        starts = np.r_[True, (users[1:] != users[:-1]) | (np.diff(times) > self.gap)]
        sessions = sp.csr_matrix((np.ones(len(items), np.float32), (np.cumsum(starts) - 1, items)), shape=(starts.sum(), train_csr.shape[1]))
        sessions = sessions[np.diff(sessions.indptr) >= 2]
        super().fit(sp.vstack([train_csr.astype(np.float32), sessions]).tocsr())
        self.user_factors = self.user_factors[:train_csr.shape[0]]  # the session rows' factors are not users
        self.remember_training(train_csr)
        return self


class PageSessionEASE(SessionEASE):
    "Session EASE whose Gram also counts, `page_weight` times, the pairs a user rated within about `page_seconds` of each other."
    def __init__(self, dataset=None, page_weight: float = 1.0, page_seconds: float = 1.0, **params):
        super().__init__(dataset, **params)
        self.page_weight, self.page_seconds = float(page_weight), float(page_seconds)

    def gram_matrix(self, inputs):
        return session_gram(inputs, pair_times(self.dataset, inputs), self.window, self.page_seconds, out=super().gram_matrix(inputs), weight=self.page_weight)


def constrained_ease(gram: np.ndarray, penalty: np.ndarray, zero_sets: list[np.ndarray]) -> np.ndarray:
    "(n_inputs, n_items) weights minimising ||X - A W||^2 + sum penalty_i ||W_i||^2 with W[zero_sets[k], k] = 0; `gram` is A'A, X is A's first n_items columns."
    precision = np.linalg.inv(gram + np.diag(penalty))
    weights = np.zeros((gram.shape[0], len(zero_sets)))
    for item, zeros in enumerate(zero_sets):  # EASE's closed form, with a small solve per item for its several zero constraints
        free = -penalty[item] * precision[:, item]; free[item] += 1.0  # the unconstrained solution, precision @ gram[:, item]
        weights[:, item] = free - precision[:, zeros] @ np.linalg.solve(precision[np.ix_(zeros, zeros)], free[zeros])
    return weights


class WideEASE(Recommender):
    "EASE over extra input columns: subclasses build `_inputs(history_csr)` (the items first) and fit `weights` with `constrained_ease`."
    def score_users(self, user_ids): return np.asarray(self._inputs(self.train_csr[user_ids]) @ self.weights)


class PairEASE(WideEASE):
    "Higher-order EASE: the `n_pairs` most co-taken item pairs are extra inputs (penalty `l2_pairs`), and a pair never predicts its own two items."
    def __init__(self, l2: float = 750.0, l2_pairs: float = 750.0, n_pairs: int = 2000):
        self.l2, self.l2_pairs, self.n_pairs = float(l2), float(l2_pairs), int(n_pairs)

    def _inputs(self, history_csr):
        binary = history_csr.copy(); binary.data[:] = 1.0
        columns = binary.tocsc()
        pairs = [columns[:, i].multiply(columns[:, j]) for i, j in self.pairs_]
        return sp.hstack([binary] + pairs).tocsr()

    def fit(self, train_csr):
        train_csr = self.remember_training(train_csr)
        n = self.n_items
        together = (train_csr > 0).astype(np.float64)
        together = (together.T @ together).toarray()
        upper = np.triu_indices(n, 1)
        self.pairs_ = np.stack(upper, 1)[np.argsort(-together[upper], kind="stable")[:self.n_pairs]]
        inputs = self._inputs(train_csr)
        zero_sets = [[item] for item in range(n)]
        for column, (i, j) in enumerate(self.pairs_, start=n): zero_sets[i].append(column); zero_sets[j].append(column)
        penalty = np.r_[np.full(n, self.l2), np.full(len(self.pairs_), self.l2_pairs)]
        self.weights = constrained_ease((inputs.T @ inputs).toarray(), penalty, [np.array(z) for z in zero_sets])
        return self


class RatingEASE(WideEASE):
    "EASE with a second input channel, each taken item's rating minus the user's mean (penalty `l2_ratings`); item k's two inputs never predict k."
    def __init__(self, l2: float = 750.0, l2_ratings: float = 750.0):
        self.l2, self.l2_ratings = float(l2), float(l2_ratings)

    def _inputs(self, history_csr):
        binary = history_csr.copy(); binary.data[:] = 1.0
        centred = history_csr.astype(np.float64)
        counts = np.maximum(np.diff(centred.indptr), 1)
        centred.data -= np.repeat(np.asarray(centred.sum(1)).ravel() / counts, np.diff(centred.indptr))
        return sp.hstack([binary, centred]).tocsr()

    def fit(self, train_csr):
        train_csr = self.remember_training(train_csr)
        n, inputs = self.n_items, self._inputs(train_csr)
        penalty = np.r_[np.full(n, self.l2), np.full(n, self.l2_ratings)]
        self.weights = constrained_ease((inputs.T @ inputs).toarray(), penalty, [np.array([k, n + k]) for k in range(n)])
        return self


class ReleaseFilteredSessionEASE(SessionEASE):
    "Session EASE that ranks last every item first rated (by anyone, in training) after the user's last training rating plus `margin_days` (None: no filter)."
    margin_days: float | None = None

    def fit(self, train_csr):
        super().fit(train_csr)
        users, items, times = time_order(self.dataset, self.train_csr)
        self.first_rated_ = np.full(self.n_items, np.inf); np.minimum.at(self.first_rated_, items, times)
        self.last_rated_ = np.full(self.n_users, -np.inf); np.maximum.at(self.last_rated_, users, times)
        return self

    def score_users(self, user_ids):
        scores = super().score_users(user_ids)
        if self.margin_days is not None:
            scores[self.first_rated_[None, :] > self.last_rated_[user_ids, None] + self.margin_days * 86400] -= 1e6
        return scores


class Residual(torch.nn.Module):
    "scale x one input column + an MLP of all of them."
    def __init__(self, mlp: torch.nn.Sequential, column: int, scale: float):
        super().__init__()
        self.mlp, self.column, self.scale = mlp, column, torch.nn.Parameter(torch.tensor(float(scale)))
    def forward(self, x): return self.scale * x[..., self.column:self.column + 1] + self.mlp(x)


class ResidualReranker(Reranker):
    "The neural re-ranker over a base feature: score = scale x `base` (standardised) + MLP(features), the MLP's last layer zero at the start, `scale` learnt."
    def __init__(self, base: str = "session_ease:score_z", scale: float = 2.0, **params):
        super().__init__(**params)
        self.base, self.scale = base, float(scale)

    def new_network(self, n_features: int):
        mlp = super().new_network(n_features)
        torch.nn.init.zeros_(mlp[-1].weight); torch.nn.init.zeros_(mlp[-1].bias)
        return Residual(mlp, self.feature_names.index(self.base), self.scale)


class SessionSimilarity(Recommender):
    "A feature source: item i scored by its session similarity (session EASE's pairs, cosine-normalised) to the user's history items, the largest (`how='max'`) or the sum."
    name = "session_sim"
    needs_dataset = True
    def __init__(self, dataset=None, how: str = "max", window: int = 100, tau: float = 300.0):
        self.dataset, self.how, self.window, self.tau = dataset, how, int(window), float(tau)
        self.params = {"how": how, "window": self.window, "tau": self.tau}

    def fit(self, train_csr):
        train_csr = self.remember_training(train_csr)
        binary = train_csr.copy(); binary.data[:] = 1.0
        pairs = session_gram(binary, pair_times(self.dataset, binary), self.window, self.tau)
        norm = np.sqrt(np.maximum(pairs.sum(1), 1e-9))
        self.similarity_ = (pairs / norm[:, None] / norm[None, :]).astype(np.float32)
        return self

    def score_users(self, user_ids):
        history = self.train_csr[user_ids]
        if self.how == "sum": return np.asarray((history > 0).astype(np.float32) @ self.similarity_)
        scores = np.zeros((len(user_ids), self.n_items), np.float32)
        for row in range(len(user_ids)):  # experiment code: a loop over users is fine at ML-100K's size
            taken = history.indices[history.indptr[row]:history.indptr[row + 1]]
            if len(taken): scores[row] = self.similarity_[taken].max(0)
        return scores


def main():
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    all_parts = ["bridge", "residual", "features", "als", "pages", "release", "pairs", "ratings"]
    parser.add_argument("--part", nargs="+", choices=["all"] + all_parts, default=["all"], help="one or more parts")
    args = parser.parse_args()
    parts = all_parts if "all" in args.part else args.part
    data = load_dataset("ml-100k")
    sources, configs = list((load_tuned(data.name, "ms75", "hybrid") or {}).get("sources", DEFAULT_SOURCES)), {}
    if "bridge" in parts:  # for this run only: the hybrid finds its sources in the registry, its re-rankers in RERANKERS
        MODELS["bridge"] = (GapBridge, {"steps": [1, 3, 10], "decay": [0.7]})
        configs["with the gap bridge as a fifth source"] = {"sources": sources + ["bridge"]}
    if "residual" in parts:
        RERANKERS["residual"] = ResidualReranker
        for base, lr in [("session_ease:score_z", 3e-3), ("session_ease:score_z", 3e-4), ("fused_rrf", 3e-3)]:
            configs[f"re-ranker learning a residual over {base}, learning rate {lr:g}"] = {"ranker": "residual", "ranker_params": {"base": base, "lr": lr}}
    if "features" in parts:
        MODELS["session_sim"] = (SessionSimilarity, {"how": ["max"]})
        for how in ("max", "sum"):
            configs[f"session similarity ({how} over the history) as re-ranker features"] = {
                "sources": sources + ["session_sim"], "weights": {"session_sim": 0.0}, "source_params": {"session_sim": {"how": how}}}
    if configs:
        seeds = [42, 1, 2, 3, 4]
        print_table(f"{data.name} / ms75", seeds, validation_scores(data.name, "ms75", seeds, {"tuned": {}} | configs))
    seeds, rows = [42, 1, 2], {}
    splits = [split_dataset(data, "ms75", seed=seed) for seed in seeds]
    ease_params = load_tuned(data.name, "ms75", "session_ease")
    if "als" in parts:
        als_params = load_tuned(data.name, "ms75", "als")
        rows["ALS"] = [validation_score(ALS(**als_params).fit(split.train), split) for split in splits]
        for gap in (300.0, 1800.0):
            rows[f"ALS + session rows (gap {gap:.0f} s)"] = [validation_score(SessionRowsALS(data, gap, **als_params).fit(split.train), split) for split in splits]
    if "pages" in parts or "release" in parts:
        fitted = [ReleaseFilteredSessionEASE(data, **ease_params).fit(split.train) for split in splits]  # fitted once, for both parts; no filter yet
        rows["session EASE"] = [validation_score(model, split) for model, split in zip(fitted, splits)]
    if "pages" in parts:
        for weight, seconds in [(1.0, 1.0), (3.0, 1.0), (1.0, 30.0)]:
            rows[f"session EASE + pages (weight {weight:g}, {seconds:g} s)"] = [
                validation_score(PageSessionEASE(data, weight, seconds, **ease_params).fit(split.train), split) for split in splits]
    if "release" in parts:
        for margin in (0.0, 7.0):
            for model in fitted: model.margin_days = margin
            rows[f"session EASE, not-yet-rated items last (margin {margin:g} days)"] = [validation_score(model, split) for model, split in zip(fitted, splits)]
    if "pairs" in parts or "ratings" in parts:
        l2 = load_tuned(data.name, "ms75", "ease")["l2"]
        rows[f"EASE (l2 {l2:g})"] = [validation_score(EASE(l2).fit(split.train), split) for split in splits]
    if "pairs" in parts:
        for n_pairs, l2_pairs in [(2000, l2), (5000, 4 * l2), (5000, 40 * l2)]:
            rows[f"EASE + {n_pairs} item pairs (pair l2 {l2_pairs:g})"] = [
                validation_score(PairEASE(l2, l2_pairs, n_pairs).fit(split.train), split) for split in splits]
    if "ratings" in parts:
        for l2_ratings in (l2, 4 * l2):
            rows[f"EASE + centred ratings (rating l2 {l2_ratings:g})"] = [validation_score(RatingEASE(l2, l2_ratings).fit(split.train), split) for split in splits]
    if rows: print_table(f"{data.name} / ms75, saved parameters (chosen on seed 42's validation)", seeds, rows, first_column="variant")


if __name__ == "__main__":
    with recorded():
        main()
