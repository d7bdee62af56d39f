"""Online experiments proven on simulated users: every scenario of docs/online-experiments.md's "Online experiments" tables, each on a fresh
`hybrid-recsys serve` and a fresh event database, driven over HTTP by `hybrid_recsys.serve.simulate` (MovieLens-100K users clicking
their held-out items under the position-based click model, 3 lists each, 8 at a time).

1. A/A: two identical variants (no difference expected; the SRM check passes);
2. hybrid vs popularity, A/B (a large difference);
3. hybrid vs EASE alone, A/B and interleaved (a small true gap; the users each needs);
4. A/A and hybrid vs popularity, interleaved (identical rankers: no winner; a better ranker wins);
5. A/A with an injected fault: 20% of variant b's users never reach their list (the SRM check must catch it);
6. off-policy: a Plackett-Luce logging policy (temperature 0.3 over the hybrid's best 30), IPS/SNIPS of four rankers against the simulated truth;
7. serving cost: recommendation p99 at concurrency 8 with no experiment, and with the hybrid-vs-EASE A/B test running.
Run after `make run`: `.venv/bin/python benchmarks/online.py` (about 6 minutes on 2 cores).
"""
import asyncio, json, os, sys, tempfile, time
from pathlib import Path

import numpy as np

from harness import KEY, ROOT, free_port, load_users, recorded, start
SESSIONS = 3


def serve(bundle: Path, database: str):
    port = free_port(); base = f"http://127.0.0.1:{port}"
    server = start([str(Path(sys.executable).parent / "hybrid-recsys"), "serve", "--log-level", "warning", "--port", str(port)], base,
                   {"HRS_MODEL_DIR": str(bundle), "HRS_DATABASE_URL": database, "HRS_API_KEYS": KEY, "HRS_WATCH_S": "0.3"})
    return server, base


def running(base: str, name: str | None, timeout_s: float = 30):
    import urllib.request
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        with urllib.request.urlopen(f"{base}/experiments", timeout=10) as answer: state = json.loads(answer.read())
        if (state["running"] or {}).get("name") == name: return
        time.sleep(0.2)
    raise RuntimeError(f"the service did not pick up experiment {name!r}")


def scenario(bundle: Path, work: Path, liked: dict, spec: dict, drop: dict | None = None, off_policy: dict | None = None) -> dict:
    "One experiment on a fresh server and database: simulated, then reported (and, with `off_policy`, estimated)."
    from hybrid_recsys.serve.events import EventStore
    from hybrid_recsys.serve.abstats import experiment_report
    from hybrid_recsys.serve.online import parse_experiment, start_experiment
    from hybrid_recsys.pipeline import load_bundle
    from hybrid_recsys.serve.simulate import off_policy_report, simulate
    database = f"sqlite:///{work / (spec['name'] + '.sqlite')}"
    experiment = parse_experiment(spec)
    store = EventStore(database)
    start_experiment(store, experiment)
    server, base = serve(bundle, database)
    try:
        running(base, experiment.name)
        lists = simulate(base, KEY, liked, sessions=SESSIONS, experiment=experiment, drop=drop, run=spec["name"])
    finally:
        server.terminate(); server.wait(timeout=60)
    out = {"report": experiment_report(store, experiment.name), "lists": len(lists), "expected_clicks": lists.groupby("variant")["expected_clicks"].mean().to_dict()}
    if off_policy:
        served = load_bundle(bundle)
        out["off_policy"] = {name: off_policy_report(store, served, experiment.name, off_policy["variant"], target, liked) for name, target in off_policy["targets"].items()}
    return out


def serving_cost(bundle: Path, work: Path, users: list) -> list[dict]:
    "Recommendation latency under 8 clients with no experiment, then with an A/B test running (each list logged either way)."
    from hybrid_recsys.serve.events import EventStore
    from hybrid_recsys.serve.online import parse_experiment, start_experiment
    rows = []
    for label, spec in (("no experiment", None), ("hybrid vs EASE A/B running", AB_EASE)):
        database = f"sqlite:///{work / f'cost-{len(rows)}.sqlite'}"
        store = EventStore(database)
        if spec: start_experiment(store, parse_experiment(spec))
        server, base = serve(bundle, database)
        try:
            if spec: running(base, spec["name"])
            asyncio.run(load_users(base, np.array(users), seconds=3))
            result = asyncio.run(load_users(base, np.array(users)))
        finally:
            server.terminate(); server.wait(timeout=60)
        logged = store.exposures(spec["name"] if spec else None)
        rows.append({"serving": label, **result, "requests": round(result["requests_per_s"] * 15), "lists_logged": int((logged["status"] == "ok").sum())})
    return rows


AB_EASE = {"name": "hybrid-vs-ease", "variants": [{"name": "hybrid", "share": 0.5}, {"name": "ease", "share": 0.5, "overrides": {"sources": ["session_ease"]}}]}
SCENARIOS = {
    "A/A": ({"name": "aa", "variants": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.5}]}, None),
    "hybrid vs popularity": ({"name": "hybrid-vs-pop", "variants": [{"name": "hybrid", "share": 0.5}, {"name": "pop", "share": 0.5, "overrides": {"sources": ["pop"]}}]}, None),
    "hybrid vs EASE": (AB_EASE, None),
    "A/A, b loses 20% of its users before the list": ({"name": "aa-fault", "variants": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.5}]}, {"b": 0.2}),
    "interleaved: hybrid vs itself": ({"name": "tdi-aa", "mode": "interleave", "variants": [{"name": "hybrid"}, {"name": "same"}]}, None),
    "interleaved: hybrid vs popularity": ({"name": "tdi-pop", "mode": "interleave", "variants": [{"name": "hybrid"}, {"name": "pop", "overrides": {"sources": ["pop"]}}]}, None),
    "interleaved: hybrid vs EASE": ({"name": "tdi-ease", "mode": "interleave", "variants": [{"name": "hybrid"}, {"name": "ease", "overrides": {"sources": ["session_ease"]}}]}, None),
}


def true_gap(served, liked: dict, sd: float) -> dict:
    "The hybrid's and EASE's true click-through on every user's first list (the chance of at least one click, from the click model), and the users per variant an A/B test needs for that gap."
    from hybrid_recsys.serve.abstats import users_needed
    from hybrid_recsys.serve.online import BundleView, Overrides
    from hybrid_recsys.serve.simulate import ClickModel
    model, users = ClickModel(), np.arange(len(served.user_lookup))
    def ctr(bundle):
        lists = bundle.recommend_users(users, 10)
        return np.array([1 - np.prod(1 - model.chances([r["item_id"] for r in l], liked.get(u, set()))) for l, u in zip(lists, served.user_lookup)])
    hybrid, ease = ctr(served), ctr(BundleView(Overrides(sources=["ease"]))(served))
    gap = float(ease.mean() - hybrid.mean())
    return {"hybrid": float(hybrid.mean()), "ease": float(ease.mean()), "gap": gap, "sd": sd, "users_per_variant": users_needed(sd, gap)}


def main():
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.serve.abstats import report_markdown
    from hybrid_recsys.serve.online import Overrides
    from hybrid_recsys.pipeline import load_bundle
    from hybrid_recsys.serve.simulate import heldout_items
    bundle = Path(os.environ.get("HRS_MODEL_DIR", ROOT / "models" / "latest")).resolve()
    served = load_bundle(bundle)
    liked = heldout_items(served, load_dataset(served.manifest["dataset"]))
    work, results = Path(tempfile.mkdtemp(prefix="hrs-online-")), {}
    for title, (spec, drop) in SCENARIOS.items():
        start_s = time.perf_counter()
        results[title] = scenario(bundle, work, liked, spec, drop)
        print(f"## {title} ({time.perf_counter() - start_s:.0f} s)\n\n{report_markdown(results[title]['report'])}\n", flush=True)
    sd = results["hybrid vs EASE"]["report"]["sample_size"][0]["sd"]
    results["true gap"] = truth = true_gap(served, liked, sd)
    print(f"true click-through of the first list: hybrid {truth['hybrid']:.4f}, EASE {truth['ease']:.4f} (gap {truth['gap']:+.4f}); "
          f"an A/B test needs {truth['users_per_variant']:,} users per variant for it (per-user sd {sd:.3f} from the run)\n")
    explore = {"name": "explore", "variants": [{"name": "hybrid", "share": 0.0}, {"name": "sampled", "share": 1.0, "overrides": {"temperature": 0.3, "pool": 30}}]}
    targets = {"hybrid (deterministic)": Overrides(), "fused stage 1": Overrides(rerank=False), "EASE alone": Overrides(sources=["ease"]), "popularity": Overrides(sources=["pop"])}
    results["off-policy"] = scenario(bundle, work, liked, explore, off_policy={"variant": "sampled", "targets": targets})
    print("## off-policy: clicks per list of each target, from the Plackett-Luce logs\n")
    print("| target | IPS [95% CI] | SNIPS [95% CI] | simulated truth | truth within SNIPS interval | positions the logs cover |\n|---|---|---|---|---|---|")
    for name, r in results["off-policy"]["off_policy"].items():
        inside = r["snips_low"] <= r["truth"] <= r["snips_high"]
        print(f"| {name} | {r['ips']:.3f} [{r['ips_low']:.3f}, {r['ips_high']:.3f}] | {r['snips']:.3f} [{r['snips_low']:.3f}, {r['snips_high']:.3f}] | {r['truth']:.3f} | {'yes' if inside else 'no'} | {r['coverage']:.3f} |")
    first = next(iter(results["off-policy"]["off_policy"].values()))
    print(f"\nlogging policy: {first['lists']} lists, {first['logged_clicks_per_list']:.3f} clicks per list observed, {first['logging_truth']:.3f} expected\n")
    results["serving cost"] = serving_cost(bundle, work, sorted(liked))
    print("| serving | requests/s | p50 (ms) | p99 (ms) | requests | lists logged |\n|---|---|---|---|---|---|")
    for r in results["serving cost"]:
        print(f"| {r['serving']} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['requests']} | {r['lists_logged']} |")
    (work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"\n{os.cpu_count()} cores, server and clients on this machine; everything in {work / 'results.json'}")


if __name__ == "__main__":
    with recorded():
        main()
