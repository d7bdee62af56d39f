"""An outside client of the service, in a process of its own: it shares nothing with the server but HTTP (it does not import
hybrid_recsys), as a user's load generator would. `benchmarks/load.py` runs it once per row.

`python benchmarks/client.py BASE --path-file PATHS [--concurrency 8] [--requests 3000]` sends GET requests for the paths (one per
line, drawn at random) from `--concurrency` keep-alive connections and prints one JSON line: throughput, p50 and p99 (ms), errors.
With `--stream-users F --stream-items F --events-per-s 200 --key K`, one more connection streams click events meanwhile (batches of
10) and `--fresh-probes N` times, at an even pace over the run, acknowledgement-to-fresh-list: a user's list is fetched, its first
item bought (POST /events), and the time from the acknowledgement to a list without that item is recorded. With `--watch PATH`,
one more connection GETs PATH every 20 ms throughout (a liveness probe under the load).
"""
import argparse, asyncio, json, time

import numpy as np


def percentiles(values: list[float]) -> dict:
    return {"p50_ms": float(np.percentile(values, 50)), "p99_ms": float(np.percentile(values, 99))} if values else {"p50_ms": None, "p99_ms": None}


async def run(args) -> dict:
    import aiohttp
    paths = [line.strip() for line in open(args.path_file) if line.strip()]
    stream_users = [line.strip() for line in open(args.stream_users)] if args.stream_users else []
    stream_items = [line.strip() for line in open(args.stream_items)] if args.stream_items else []
    rng, headers = np.random.default_rng(args.seed), {"Authorization": f"Bearer {args.key}"} if args.key else {}
    latencies, fresh, stale, errors, events_sent, done = [], [], [0], {"requests": 0, "events": 0, "probes": 0}, [0], asyncio.Event()
    queue = iter(range(args.requests))
    async with aiohttp.ClientSession(args.base, headers=headers, connector=aiohttp.TCPConnector(limit=args.concurrency + 2)) as session:
        async def client():
            for _ in queue:
                start = time.perf_counter()
                try:
                    async with session.get(paths[rng.integers(len(paths))]) as answer:
                        await answer.read()
                        if answer.status != 200: errors["requests"] += 1
                except aiohttp.ClientError: errors["requests"] += 1
                latencies.append((time.perf_counter() - start) * 1000)

        async def streamer():
            batch, period = 0, 10 / args.events_per_s
            next_at = time.perf_counter()
            while not done.is_set():
                events = [{"event_id": f"{args.run_id}-s{batch}-{i}", "user_id": stream_users[rng.integers(len(stream_users))],
                           "item_id": stream_items[rng.integers(len(stream_items))], "type": "click"} for i in range(10)]
                async with session.post("/events", json={"events": events}) as answer:
                    await answer.read()
                    if answer.status == 200: events_sent[0] += 10
                    else: errors["events"] += 1
                batch += 1; next_at += period
                await asyncio.sleep(max(next_at - time.perf_counter(), 0))

        async def listing(user: str) -> list[str]:
            async with session.get(f"/users/{user}/recommendations", params={"k": "10"}) as answer:
                return [item["item_id"] for item in (await answer.json())["items"]]

        async def prober():
            for n in range(args.fresh_probes):
                await asyncio.sleep(args.probe_every_s)
                if done.is_set(): break
                user = stream_users[rng.integers(len(stream_users))]
                bought = (await listing(user))[0]
                event = {"event_id": f"{args.run_id}-p{n}", "user_id": user, "item_id": bought, "type": "purchase"}
                async with session.post("/events", json={"events": [event]}) as answer:
                    await answer.read()
                    if answer.status != 200: errors["probes"] += 1; continue
                acknowledged = time.perf_counter()
                for attempt in range(200):
                    if bought not in await listing(user): break
                    stale[0] += attempt == 0
                    await asyncio.sleep(0.005)
                fresh.append((time.perf_counter() - acknowledged) * 1000)

        watched = []
        async def watcher():
            while not done.is_set():
                start = time.perf_counter()
                async with session.get(args.watch) as answer:
                    await answer.read()
                    if answer.status != 200: errors["probes"] += 1
                watched.append((time.perf_counter() - start) * 1000)
                await asyncio.sleep(0.02)

        extra = ([streamer()] if args.events_per_s else []) + ([prober()] if args.fresh_probes else []) + ([watcher()] if args.watch else [])
        background = [asyncio.ensure_future(task) for task in extra]
        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(args.concurrency)))
        seconds = time.perf_counter() - start
        done.set()
        await asyncio.gather(*background)
    return {"requests": len(latencies), "concurrency": args.concurrency, "throughput": len(latencies) / seconds, **percentiles(latencies),
            "errors": sum(errors.values()), "events_per_s": events_sent[0] / seconds,
            **({"fresh_probes": len(fresh), "fresh_p50_ms": percentiles(fresh)["p50_ms"], "fresh_p99_ms": percentiles(fresh)["p99_ms"],
                "stale_first_reads": stale[0]} if args.fresh_probes else {}),
            **({"watch_probes": len(watched), "watch_p50_ms": percentiles(watched)["p50_ms"], "watch_p99_ms": percentiles(watched)["p99_ms"],
                "watch_max_ms": float(max(watched))} if args.watch else {})}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--path-file", required=True, help="paths to GET, one per line")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--stream-users", help="user ids for streamed events and probes, one per line")
    parser.add_argument("--stream-items", help="item ids for streamed events, one per line")
    parser.add_argument("--events-per-s", type=float, default=0.0)
    parser.add_argument("--fresh-probes", type=int, default=0)
    parser.add_argument("--probe-every-s", type=float, default=0.1)
    parser.add_argument("--watch", help="a path to GET every 20 ms meanwhile, e.g. /health")
    parser.add_argument("--key", default=None)
    parser.add_argument("--run-id", default=str(int(time.time() * 1000)), help="prefix of the event ids this run sends")
    parser.add_argument("--seed", type=int, default=0)
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
