"""What one request costs the server, by the work it does: the budget behind benchmarks/load.py's streaming row.

In one process, on the bundle at $HRS_MODEL_DIR (default models/latest) and a fresh SQLite event store: the median time of
1. a kept list (the user's list found kept: what most requests are),
2. an event acknowledged (stored and folded into the user's state),
3. a fold-in list computed for one user whose newest event invalidated their kept list, and for eight at once,
and the stages of one fold-in list (the fold-in vectors, each source's list, fusion, the features and the re-ranker).

With concurrency c, a closed-loop client sees a mean latency of c / throughput (Little's law), and one worker serves at most
1 / (mean CPU per request) requests/s, so: mean latency >= c x (hit share x hit + miss share x miss + events per request x event).
The file's table applies that to the streaming row's shares. The HTTP layer is not in these figures (GET /hello in load.py).
Writes benchmarks/results/request_cost.md (--no-write: print only). Run after `make run`: `.venv/bin/python benchmarks/request_cost.py`.
"""
import argparse, os, tempfile, time

import numpy as np

from harness import ROOT, write_results


def median_ms(work, repeats: int) -> float:
    "The median wall time of `work()` over `repeats` calls, after a few unmeasured ones."
    for _ in range(min(20, repeats)): work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); work(); times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--kept-share", type=float, default=0.78, help="lists found kept in load.py's streaming row")
    parser.add_argument("--events-per-request", type=float, default=0.4, help="200 events/s at about 500 requests/s")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HRS_QUIET", "1")
    from hybrid_recsys.serve.events import Event, EventStore
    from hybrid_recsys.serve.live import LiveRecommender
    from hybrid_recsys.models import histories_csr
    from hybrid_recsys.pipeline import load_bundle
    from hybrid_recsys.rerank import candidate_features, select_features

    bundle = load_bundle(os.environ.get("HRS_MODEL_DIR", ROOT / "models" / "latest"))
    store = EventStore(f"sqlite:///{tempfile.mkdtemp(prefix='hrs-cost-')}/events.sqlite")
    live = LiveRecommender(bundle, store)
    users, items = [str(u) for u in bundle.user_lookup], [str(i) for i in bundle.item_lookup]
    rng, counter = np.random.default_rng(0), iter(range(10**9))
    event = lambda user: Event(event_id=f"cost-{next(counter)}", user_id=user, item_id=items[rng.integers(len(items))], type="click",
                               timestamp=time.time() - 1)
    live.ingest([event(u) for u in users])  # every user with an event: every list takes the fold-in road
    live.recommend_users(users)  # and every list kept

    def invalidated(n: int) -> list[str]:
        "n users whose newest event (acknowledged now, outside the timing) invalidated their kept list, as streaming events do."
        chosen = [str(u) for u in rng.choice(users, n, replace=False)]
        live.ingest([event(u) for u in chosen])
        return chosen

    def timed_fold_in(n: int) -> float:
        "The median time of n users' lists, each invalidated just before by a new event (not timed)."
        times = []
        for _ in range(args.repeats):
            chosen = invalidated(n)
            start = time.perf_counter(); live.recommend_users(chosen); times.append(time.perf_counter() - start)
        return float(np.median(times) * 1000)

    rows = {"kept list": median_ms(lambda: live.recommend_users([users[rng.integers(len(users))]]), args.repeats),
            "event acknowledged (stored, folded in)": median_ms(lambda: live.ingest([event(users[rng.integers(len(users))])]), args.repeats),
            "fold-in list, one user": timed_fold_in(1), "fold-in lists, eight users at once (per user)": timed_fold_in(8) / 8}

    model, generator = bundle.model, bundle.model.generator
    stages = {}
    def stage(name, work):
        start = time.perf_counter(); out = work(); stages.setdefault(name, []).append(time.perf_counter() - start); return out
    for _ in range(args.repeats):
        user = int(rng.integers(model.n_users)); row = model.train_csr[user]
        history = histories_csr([row.indices.tolist() + [int(rng.integers(model.n_items))]], model.n_items, [row.data.tolist() + [1.0]])
        vectors = stage("fold-in vectors (history_vectors)", lambda: generator.history_vectors(history))
        for name, source in generator.sources.items():
            if name not in vectors: stage(f"source {name}: its list (recommend_history)", lambda: source.recommend_history(history, N=generator.depth))
        candidates = stage("candidates: every source's list, fused, scored", lambda: generator.generate_history(history, np.array([user]), vectors))
        if model.params["rerank"]:
            features = stage("re-ranker features", lambda: select_features(*candidate_features(candidates, model.context, model.params["rrf_k"],
                                                                                               reference=candidates), model.params["drop_features"])[0])
            stage("re-ranker networks", lambda: model.reranker.score(features, candidates.mask))
        stage("both stages (rank_histories)", lambda: model.rank_histories(history, 10, np.array([user]), vectors))
    stages = {name: float(np.median(t) * 1000) for name, t in stages.items()}

    hit, miss, ack = rows["kept list"], rows["fold-in lists, eight users at once (per user)"], rows["event acknowledged (stored, folded in)"]
    per_request = args.kept_share * hit + (1 - args.kept_share) * miss + args.events_per_request * ack
    lines = [f"{os.cpu_count()} cores; {bundle.model.n_users} users x {bundle.model.n_items} items; median of {args.repeats} calls each; "
             "in-process (no HTTP).", "", "| work | ms |", "|---|---|", *[f"| {name} | {ms:.2f} |" for name, ms in rows.items()], "",
             "One fold-in list, by stage (the stages overlap: the candidates include each source's list):", "", "| stage | ms |", "|---|---|",
             *[f"| {name} | {ms:.2f} |" for name, ms in stages.items()], "",
             f"Budget at {args.kept_share:.0%} of lists kept and {args.events_per_request} events per request: {per_request:.2f} ms of one "
             f"core per request, so one worker serves at most {1000 / per_request:.0f} requests/s before HTTP, and 8 closed-loop "
             f"connections see a mean latency of at least {8 * per_request:.1f} ms."]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_results("request_cost", text)


if __name__ == "__main__":
    main()
