"""Hot swap under load: a retrain publishes a new bundle while clients ask for recommendations; the service swaps to it.

A copy of the bundle at $HRS_MODEL_DIR (default models/latest) is published behind a link in a scratch folder, and the
MovieLens-100K interactions that bundle did not train on (its held-out split) are stored as rating events, in time order,
in a fresh SQLite event database. `hybrid-recsys serve` runs on it with HRS_WATCH_S=1. Then --clients clients ask for
random users' recommendations without pause, and after --warmup seconds `hybrid-recsys retrain --force` runs beside them
(on the same machine, under `nice -n 19`, as a cron job beside a server would run: it competes for the cores). The service notices the new version behind the link and swaps to it;
the clients go on for --after seconds more.

Reported: every request's outcome (any status but 200, or a broken connection, is a failure), latency p50 / p99 before
the retrain, while it trains, in the two seconds around the swap and after it, the retrain's duration, and the time from
the link's switch to /health naming the new version. Run after `make run`: `.venv/bin/python benchmarks/swap.py`.
"""
import argparse, asyncio, os, shutil, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd

from harness import KEY, ROOT, free_port, recorded, start, store_heldout_events


async def run(base: str, link: Path, users: np.ndarray, clients: int, warmup: float, after: float, env: dict) -> dict:
    import aiohttp
    rng = np.random.default_rng(0)
    records, marks, stop = [], {}, asyncio.Event()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients + 4)) as session:
        async def client():
            while not stop.is_set():
                begin = time.perf_counter()
                try:
                    async with session.get(f"{base}/users/{rng.choice(users)}/recommendations", params={"k": "10"}) as answer:
                        await answer.read(); status = answer.status
                except aiohttp.ClientError as error: status = type(error).__name__
                records.append((begin, (time.perf_counter() - begin) * 1000, status))

        async def watcher():
            first = link.resolve()
            async with session.get(f"{base}/health") as answer: served = (await answer.json())["version"]
            while not stop.is_set():
                if "linked" not in marks and link.resolve() != first: marks["linked"] = time.perf_counter()
                async with session.get(f"{base}/health") as answer: version = (await answer.json())["version"]
                if version != served and "served" not in marks:
                    marks["served"] = time.perf_counter()
                    await asyncio.sleep(after); stop.set()
                await asyncio.sleep(0.02)

        async def retrainer():
            await asyncio.sleep(warmup)
            marks["retrain"] = time.perf_counter()
            process = await asyncio.create_subprocess_exec("nice", "-n", "19", str(Path(sys.executable).parent / "hybrid-recsys"), "retrain", "--bundle", str(link), "--force", "--quiet",
                                                           env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await process.communicate()
            marks["retrained"] = time.perf_counter()
            marks["retrain_output"] = out.decode().strip().splitlines()[-1] if out.strip() else err.decode()[-500:]
            if process.returncode != 0: stop.set()

        await asyncio.gather(*(client() for _ in range(clients)), watcher(), retrainer())
    return {"records": records, "marks": marks}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of load before the retrain starts")
    parser.add_argument("--after", type=float, default=10.0, help="seconds of load after the swap")
    args = parser.parse_args()
    source = Path(os.environ.get("HRS_MODEL_DIR", ROOT / "models" / "latest")).resolve()
    work = Path(tempfile.mkdtemp(prefix="hrs-swap-"))
    from hybrid_recsys.core import publish_dir
    link = work / "latest"
    publish_dir(link, lambda tmp: shutil.copytree(source, tmp, dirs_exist_ok=True))
    database = f"sqlite:///{work / 'events.sqlite'}"
    n_events = store_heldout_events(link, database)
    users = pd.read_parquet(link / "users.parquet")["user_id"].astype(str).to_numpy()
    env = {**os.environ, "HRS_MODEL_DIR": str(link), "HRS_DATABASE_URL": database, "HRS_API_KEYS": KEY, "HRS_WATCH_S": "1"}
    port = free_port(); base = f"http://127.0.0.1:{port}"
    server = start([str(Path(sys.executable).parent / "hybrid-recsys"), "serve", "--log-level", "warning", "--port", str(port)], base, env)
    try: result = asyncio.run(run(base, link, users, args.clients, args.warmup, args.after, env))
    finally:
        server.terminate(); server.wait(timeout=60)
    shutil.rmtree(work, ignore_errors=True)
    marks, frame = result["marks"], pd.DataFrame(result["records"], columns=["start", "ms", "status"])
    if "served" not in marks: sys.exit(f"no swap happened: {marks.get('retrain_output')}")
    phases = {"before the retrain": frame["start"] < marks["retrain"],
              "while retraining": (frame["start"] >= marks["retrain"]) & (frame["start"] < marks["served"] - 1),
              "the 2 s around the swap": (frame["start"] - marks["served"]).abs() <= 1,
              "after the swap": frame["start"] > marks["served"] + 1}
    failed = frame["status"] != 200
    print(f"{os.cpu_count()} cores, server, clients and the retrain on this machine; {args.clients} clients asking for random users' "
          f"recommendations without pause; {n_events:,} rating events stored (ml-100k's held-out split)\n")
    print(f"retrain: {marks['retrained'] - marks['retrain']:.1f} s ({marks['retrain_output']})")
    print(f"link switched -> /health names the new version: {(marks['served'] - marks['linked']) * 1000:.0f} ms (HRS_WATCH_S=1)\n")
    print("| phase | requests | failed | p50 (ms) | p99 (ms) | max (ms) |\n|---|---|---|---|---|---|")
    for name, rows in {**phases, "all": frame["start"] > 0}.items():
        part = frame[rows]
        print(f"| {name} | {len(part):,} | {int(failed[rows].sum())} | {part['ms'].median():.1f} | {part['ms'].quantile(0.99):.1f} | {part['ms'].max():.1f} |")
    if failed.any(): print("\nfailures:", frame.loc[failed, "status"].value_counts().to_dict())


if __name__ == "__main__":
    with recorded():
        main()
