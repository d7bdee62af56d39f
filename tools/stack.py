"""The deployment, run for real: the images built with podman, the host-network compose stack (deploy/podman/compose.host.yml)
brought up, driven and taken down.

  .venv/bin/python tools/stack.py images    # a Debian bookworm base (debootstrap), then the serve, train and postgres images
  .venv/bin/python tools/stack.py check     # the images, a fresh ML-100K bundle, the stack up, every check below, the stack down

`make images` and `make stack` run these (make test runs `check` through tests/test_stack.py). The check, in order:
1. start-up: the serving image alone, then each API replica in the stack, from its container's start to /ready; the serving image's health, metrics and guards as `hybrid-recsys serve`'s;
2. events through one replica read through the other: a purchase stored through api-a takes the item out of the user's list
   on api-b, each within 1 s;
3. load through both replicas (clients split between them, click events streaming into both) while api-b is killed (SIGKILL):
   its clients fall back to api-a; only the requests in flight on api-b when it died may fail; then no acknowledged event is
   missing from PostgreSQL;
4. api-b started again, one retrain cycle run in the retrain container (`hybrid-recsys retrain --force`): both replicas serve
   the new bundle; MLflow's server answers.
The stack always comes down (containers and volumes), whatever fails. `--write` records the figures in
benchmarks/results/stack.md. It needs podman, runc and debootstrap (`make podman` installs Debian's), podman-compose (in .venv), and root.
"""
import argparse, asyncio, json, os, shutil, subprocess, sys, time, urllib.error, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".stack"  # the base's root file system while it is built, containers.conf, the stack's bundle
COMPOSE = ROOT / "deploy" / "podman" / "compose.host.yml"
PROJECT = "hrs-stack"
BASE, SERVE, TRAIN, POSTGRES = (f"localhost/{name}" for name in ("hrs-base:bookworm", "hybrid-recsys:serve", "hybrid-recsys:train",
                                                                   "hybrid-recsys:postgres"))
KEY = "stack-check-key-0123456789"


def say(message: str):
    print(f"[stack {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(*command, env: dict | None = None, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    "A command with podman's configuration; its output captured (and shown on failure)."
    result = subprocess.run([str(c) for c in command], env={**os.environ, **podman_env(), **(env or {})}, capture_output=True, text=True,
                            **kwargs)
    if check and result.returncode != 0:
        sys.exit(f"error: `{' '.join(map(str, command))}` failed ({result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
    return result


def podman_env() -> dict:
    """containers.conf for this sandbox (the one in DESIGN.md): runc, cgroupfs, ulimits at the sandbox's hard limits, events to a file."""
    conf = WORK / "containers.conf"
    if not conf.exists():
        import resource
        files = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        processes = min(4096, resource.getrlimit(resource.RLIMIT_NPROC)[1])
        WORK.mkdir(exist_ok=True)
        conf.write_text(f'[containers]\ndefault_ulimits = ["nofile={files}:{files}", "nproc={processes}:{processes}"]\n\n'
                        '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
    return {"CONTAINERS_CONF": str(conf)}


COMPOSE_TOOL = Path(sys.executable).parent / "podman-compose"  # from PyPI, in .venv (requirements.txt): Debian's 1.0.3 adds a
                                                                # network alias to every container, which host networking refuses


def need_tools():
    missing = [tool for tool in ("podman", "debootstrap", "runc") if not shutil.which(tool)]
    if missing: sys.exit(f"error: {', '.join(missing)} not installed: run `make podman` (Debian's packages, with apt-get)")
    if not COMPOSE_TOOL.exists(): sys.exit(f"error: no {COMPOSE_TOOL}: run `make setup` (podman-compose is in requirements.txt)")
    if os.geteuid() != 0: sys.exit("error: building the base image with debootstrap needs root")


def image_exists(name: str) -> bool:
    return run("podman", "image", "exists", name, check=False).returncode == 0


def apt_mirror() -> str:
    "The Debian mirror this machine's apt already uses (deb822 or one-line sources), else deb.debian.org."
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        if path.suffix in (".list", ".sources", "") and path.is_file():
            for line in path.read_text().splitlines():
                words = line.split()
                if line.startswith("URIs:") and "security" not in line: return words[1]
                if line.startswith("deb ") and "security" not in line: return next(w for w in words[1:] if "://" in w)
    return "http://deb.debian.org/debian"


def build_base():
    "Debian bookworm (minbase, python3 with venv, the OpenMP runtime FAISS and LightGBM need) with this machine's CA certificates."
    rootfs = WORK / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    say(f"debootstrap bookworm from {apt_mirror()} (about a minute)")
    run("debootstrap", "--variant=minbase", "--include=ca-certificates,python3,python3-venv,libgomp1", "bookworm", rootfs, apt_mirror())
    for certificate in Path("/usr/local/share/ca-certificates").glob("*.crt"):  # what pip inside the builds needs to reach PyPI here
        shutil.copy(certificate, rootfs / "usr/local/share/ca-certificates")
    run("chroot", rootfs, "update-ca-certificates")
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale"):
        for path in (rootfs / junk).glob("*"):
            if path.is_dir() and not path.is_symlink(): shutil.rmtree(path)
            else: path.unlink()
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    run("podman", "import", "-", BASE, stdin=tar.stdout)
    tar.wait()
    shutil.rmtree(rootfs)


def torch_index() -> list[str]:
    "The Dockerfile's default (PyTorch's CPU wheel index) where it can be reached from here, else PyPI: its torch is the CUDA build."
    try:
        urllib.request.urlopen("https://download.pytorch.org/whl/cpu/torch/", timeout=5)
        return []
    except OSError as error:
        say(f"PyTorch's CPU wheel index is out of reach ({error}): the training image takes torch from PyPI (the CUDA build)")
        return ["--build-arg", "TORCH_INDEX=https://pypi.org/simple"]


def build_images() -> dict:
    "The base (once), then the three images (podman's layer cache makes a rebuild of unchanged layers instant); their sizes."
    need_tools()
    index = torch_index()
    if not image_exists(BASE): build_base()
    sizes = {}
    for name, target, extra in ((SERVE, "serve", []), (TRAIN, "train", index),
                                (POSTGRES, None, ["-f", ROOT / "deploy/podman/postgres.Containerfile", ROOT / "deploy/podman"])):
        say(f"building {name}")
        started = time.perf_counter()
        run("podman", "build", "--pull=never", "--network=host", "--build-arg", f"BASE={BASE}", "-t", name,
            *(extra + ["--target", target, ROOT] if target else extra))
        size = int(run("podman", "image", "inspect", "--format", "{{.Size}}", name).stdout.strip())
        sizes[name] = {"bytes": size, "build_s": time.perf_counter() - started, "torch": "CPU" if not index else "CUDA (PyPI)"}
        say(f"{name}: {size / 1e9:.2f} GB")
    run("podman", "image", "prune", "--force", check=False)  # the layers earlier builds left untagged
    return sizes


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def http(base: str, method: str, path: str, body=None, key: str | None = KEY, timeout: float = 10) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {key}"} if key else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, data=data, method=method, headers=headers), timeout=timeout) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if answer.headers.get_content_type() == "application/json" else raw.decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_ready(base: str, service: str, seconds: float = 180) -> float:
    "Seconds from its container's start until `base` answers /ready with 200; its container's last words if it exits first."
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        try:
            if http(base, "GET", "/ready", timeout=2)[0] == 200:
                began = int(run("podman", "inspect", "--format", "{{.State.StartedAt.UnixNano}}", container(service)).stdout.strip())
                return time.time() - began / 1e9
        except OSError: pass
        name = container(service)
        if run("podman", "inspect", "--format", "{{.State.Running}}", name).stdout.strip() != "true":
            raise AssertionError(f"{service} exited: {run('podman', 'logs', '--tail', '3', name, check=False).stderr.strip()[-1500:]}")
        time.sleep(0.1)
    raise AssertionError(f"{base} did not answer /ready within {seconds:.0f} s")


def top_item(base: str, user: str) -> str:
    status, answer = http(base, "GET", f"/users/{user}/recommendations?k=10")
    assert status == 200, answer
    return answer["items"][0]["item_id"]


def check_service(base: str) -> dict:
    "What `hybrid-recsys serve` promises, through the image: health, metrics, the guards on keys, bodies and bad input."
    status, health = http(base, "GET", "/health")
    assert status == 200 and health["status"] == "ok", health
    status, metrics = http(base, "GET", "/metrics")
    assert status == 200 and "hrs_http_requests_total" in metrics, str(metrics)[:500]
    assert http(base, "POST", "/events", {"events": []}, key=None)[0] == 401  # writes need the key
    assert http(base, "POST", "/events", {"events": [{"event_id": "x"}]})[0] == 422  # a bad event names its field
    from http.client import HTTPConnection
    host, port = base.removeprefix("http://").split(":")
    connection = HTTPConnection(host, int(port), timeout=10)  # a body declared at 1 GB: refused before it is read
    connection.putrequest("POST", "/events"); connection.putheader("content-type", "application/json")
    connection.putheader("authorization", f"Bearer {KEY}"); connection.putheader("content-length", str(10**9)); connection.endheaders()
    too_large = connection.getresponse().status
    connection.close()
    assert too_large == 413, too_large
    assert http(base, "GET", "/users/no-such-user/recommendations")[0] == 404
    return {"health": health["version"], "metrics_lines": len(metrics.splitlines())}


def events_across(a: str, b: str, users: int = 30) -> list[float]:
    "For each user: a purchase of api-b's top item stored through api-a; seconds until api-b's list no longer holds it."
    delays = []
    for user in range(1, users + 1):
        item = top_item(b, str(user))
        event = {"event_id": f"across-{user}", "user_id": str(user), "item_id": item, "type": "purchase", "timestamp": time.time()}
        status, answer = http(a, "POST", "/events", {"events": [event]})
        assert status == 200, answer
        acknowledged = time.perf_counter()
        while top_item(b, str(user)) == item:
            assert time.perf_counter() - acknowledged < 5, f"user {user}: the event stored through api-a is not on api-b after 5 s"
            time.sleep(0.01)
        delays.append(time.perf_counter() - acknowledged)
    return delays


async def load_with_failover(a: str, b: str, container_b: str, seconds: float = 12.0, kill_at: float = 4.0, clients: int = 8) -> dict:
    """Clients split between the replicas asking for lists, and two streams of click events (one per replica), for `seconds`;
    api-b is killed (SIGKILL) after `kill_at`. A request that cannot connect goes to the other replica (it never reached a
    server); one that fails after it was sent counts as failed, and its client sends its next requests to the other
    replica. Returns the counts, the failures (each with when it was sent) and the acknowledged event ids."""
    import aiohttp
    stop, failed, served, acknowledged, down, kill = time.perf_counter() + seconds, [], [0], set(), set(), {}
    async with aiohttp.ClientSession(headers={"authorization": f"Bearer {KEY}"}, timeout=aiohttp.ClientTimeout(total=10)) as session:
        async def call(preferred: str, method: str, path: str, body=None):
            for base in (preferred, a if preferred == b else b):
                if base in down: continue
                sent = time.perf_counter()
                try:
                    async with session.request(method, base + path, json=body) as answer:
                        await answer.read()
                        return answer.status
                except aiohttp.ClientConnectorError:
                    down.add(base)  # refused: nothing was sent; fall back to the other replica
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    failed.append({"replica": base, "error": type(error).__name__, "sent_s": sent})
                    down.add(base)
                    return None
            return None

        async def client(n: int):
            preferred = a if n % 2 == 0 else b
            while time.perf_counter() < stop:
                if await call(preferred, "GET", f"/users/{n * 37 % 943 + 1}/recommendations?k=10") == 200: served[0] += 1

        async def events(n: int):
            preferred, batch = (a, b)[n], 0
            while time.perf_counter() < stop:
                now = time.time()
                body = {"events": [{"event_id": f"load-{n}-{batch}-{i}", "user_id": str((batch * 10 + i) % 943 + 1), "item_id": str(i + 1),
                                    "type": "click", "timestamp": now} for i in range(10)]}
                status = await call(preferred, "POST", "/events", body)
                if status is None: status = await call(a, "POST", "/events", body)  # in flight when its replica died: sent again (ids make it safe)
                if status == 200: acknowledged.update(e["event_id"] for e in body["events"])
                batch += 1
                await asyncio.sleep(0.01)

        async def killer():
            await asyncio.sleep(kill_at)
            kill["sent"] = time.perf_counter()
            await asyncio.to_thread(run, "podman", "kill", "--signal", "KILL", container_b)
            kill["done"] = time.perf_counter()

        await asyncio.gather(*(client(n) for n in range(clients)), events(0), events(1), killer())
    on_b = clients // 2 + 1  # connections that use api-b: half the clients and one event stream, one request in flight each at most
    return {"served": served[0], "failed": len(failed), "connections_on_b": on_b, "killed_after_s": kill_at,
            "failed_after_the_kill": sum(f["sent_s"] > kill["done"] for f in failed), "failures": failed, "acknowledged": acknowledged}


def wait_postgres(database: str, seconds: float = 120) -> float:
    "Seconds until PostgreSQL accepts a connection for the stack's user and database."
    import sqlalchemy as sa
    started, engine = time.perf_counter(), sa.create_engine(database)
    try:
        while True:
            try:
                with engine.connect() as connection: connection.execute(sa.text("SELECT 1"))
                return time.perf_counter() - started
            except sa.exc.OperationalError:
                assert time.perf_counter() - started < seconds, f"PostgreSQL did not accept connections within {seconds:.0f} s"
                time.sleep(0.3)
    finally:
        engine.dispose()


def stored_event_ids(database: str) -> set[str]:
    import sqlalchemy as sa
    engine = sa.create_engine(database)
    with engine.connect() as connection:
        ids = {row[0] for row in connection.execute(sa.text("SELECT event_id FROM events"))}
    engine.dispose()
    return ids


def container(service: str) -> str:
    names = run("podman", "ps", "-a", "--filter", f"label=io.podman.compose.project={PROJECT}", "--filter",
                f"label=com.docker.compose.service={service}", "--format", "{{.Names}}").stdout.split()
    assert len(names) == 1, (service, names)
    return names[0]


def start_alone(models: Path) -> float:
    """Seconds from the serving image's start to /ready with nothing else starting beside it (the bundle mounted, events in
    SQLite inside the container); the container is removed after."""
    port = free_port()
    name = f"{PROJECT}-alone"
    run("podman", "rm", "--force", name, check=False)
    run("podman", "run", "--detach", "--name", name, "--network=host", "--volume", f"{models}:/app/models:ro",
        "--env", "HRS_DATABASE_URL=sqlite:////tmp/events.sqlite", SERVE, "hybrid-recsys", "serve", "--host", "127.0.0.1",
        "--port", str(port))
    try:
        deadline = time.perf_counter() + 120
        while True:
            try:
                if http(f"http://127.0.0.1:{port}", "GET", "/ready", timeout=2)[0] == 200: break
            except OSError: pass
            assert time.perf_counter() < deadline, "the serving image alone did not answer /ready within 120 s"
            time.sleep(0.05)
        began = int(run("podman", "inspect", "--format", "{{.State.StartedAt.UnixNano}}", name).stdout.strip())
        return time.time() - began / 1e9
    finally:
        run("podman", "rm", "--force", name, check=False)


def check(write: bool) -> dict:
    sizes = build_images()
    shutil.rmtree(WORK / "models", ignore_errors=True)
    say("publishing a fresh ML-100K bundle (the training install, here)")
    run(Path(sys.executable).parent / "hybrid-recsys", "pipeline", "--dataset", "ml-100k", "--no-ablation", "--bundle",
        WORK / "models" / "latest", "--quiet", env={"HRS_QUIET": "1"})
    ports = {"HRS_PORT_A": free_port(), "HRS_PORT_B": free_port(), "HRS_DB_PORT": free_port(), "HRS_MLFLOW_PORT": free_port()}
    env = {**{k: str(v) for k, v in ports.items()}, "HRS_MODELS": str(WORK / "models"), "HRS_API_KEYS": KEY, "HRS_WATCH_S": "0.5",
           "HRS_FOLLOW_S": "0.1"}
    compose = [COMPOSE_TOOL, "-f", COMPOSE, "-p", PROJECT]
    a, b = f"http://127.0.0.1:{ports['HRS_PORT_A']}", f"http://127.0.0.1:{ports['HRS_PORT_B']}"
    database = f"postgresql+psycopg://hrs:hrs@127.0.0.1:{ports['HRS_DB_PORT']}/events"
    out = {"images": sizes, "ready_alone_s": start_alone(WORK / "models")}
    say(f"the serving image alone: /ready {out['ready_alone_s']:.1f} s after its start")
    run(*compose, "down", "-v", env=env, check=False)
    try:
        say("stack up: postgres first (podman-compose does not wait for health), then api-a, api-b, retrain, mlflow")
        run(*compose, "up", "-d", "postgres", env=env)
        out["postgres_ready_s"] = wait_postgres(database)
        run(*compose, "up", "-d", env=env)
        out["ready_s"] = {"api-a": wait_ready(a, "api-a"), "api-b": wait_ready(b, "api-b")}
        say(f"both replicas ready: {out['ready_s']}")
        out["service"] = check_service(a)
        delays = events_across(a, b)
        out["events_across_s"] = {"n": len(delays), "max": max(delays), "median": sorted(delays)[len(delays) // 2]}
        assert max(delays) <= 1.0, f"an event took {max(delays):.2f} s to reach the other replica"
        say(f"events across replicas: {out['events_across_s']}")
        load = asyncio.run(load_with_failover(a, b, container("api-b")))
        stored = stored_event_ids(database)
        lost = load["acknowledged"] - stored
        out["failover"] = {k: v for k, v in load.items() if k not in ("acknowledged", "failures")}
        out["failover"].update(acknowledged_events=len(load["acknowledged"]), lost_events=len(lost))
        say(f"load with api-b killed: {out['failover']}")
        assert not lost, f"{len(lost)} acknowledged events are not in PostgreSQL, e.g. {sorted(lost)[:5]}"
        # only requests in flight on api-b when it died may fail: one per connection to it at most (each client sends one
        # request at a time, and after a failure sends to api-a), all on api-b
        assert load["failed"] <= load["connections_on_b"] and all(f["replica"] == b for f in load["failures"]), load["failures"]
        assert load["served"] > 100, load
        run("podman", "start", container("api-b"))
        out["ready_s"]["api-b restarted"] = wait_ready(b, "api-b")
        before = http(a, "GET", "/health")[1]["version"]
        say("one retrain cycle in the retrain container")
        run("podman", "exec", container("retrain"), "hybrid-recsys", "retrain", "--force", "--quiet", timeout=900)
        new = (WORK / "models" / "latest").resolve().name
        assert new != before, "the retrain published nothing"
        deadline = time.perf_counter() + 30
        while {http(base, "GET", "/health")[1]["version"] for base in (a, b)} != {new}:
            assert time.perf_counter() < deadline, "the replicas did not swap to the retrained bundle within 30 s"
            time.sleep(0.2)
        out["retrain"] = {"before": before, "after": new}
        status, _ = http(f"http://127.0.0.1:{ports['HRS_MLFLOW_PORT']}", "GET", "/health", key=None)
        assert status == 200, status
        say("both replicas serve the retrained bundle; MLflow answers")
    finally:
        if "retrain" not in out:  # a step failed: the replicas' last words, before the stack goes
            for service in ("api-a", "api-b"):
                result = run("podman", "logs", "--tail", "5", f"{PROJECT}_{service}_1", check=False)
                print(f"--- {service}:\n{(result.stdout + result.stderr)[-1500:]}", file=sys.stderr)
        run(*compose, "down", "-v", env=env, check=False)
    if write: record(out)
    return out


def record(out: dict):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from harness import write_results
    serve, train, f = out["images"][SERVE], out["images"][TRAIN], out["failover"]
    text = (f"The images built with podman on a debootstrapped Debian bookworm base; the stack of deploy/podman/compose.host.yml "
            f"(two API replicas, PostgreSQL, the retrain job, MLflow) on the host's network, serving a fresh ML-100K bundle.\n\n"
            f"| measure | value |\n|---|---|\n"
            f"| serving image (`--target serve`, no torch) | {serve['bytes'] / 1e9:.2f} GB |\n"
            f"| training image (`--target train`, torch's {train['torch']} build) | {train['bytes'] / 1e9:.2f} GB |\n"
            f"| postgres image | {out['images'][POSTGRES]['bytes'] / 1e9:.2f} GB |\n"
            f"| the serving image alone: container start to /ready | {out['ready_alone_s']:.1f} s |\n"
            f"| in the stack, container start to /ready: api-a / api-b / api-b restarted after the kill | {out['ready_s']['api-a']:.1f} s / "
            f"{out['ready_s']['api-b']:.1f} s / {out['ready_s']['api-b restarted']:.1f} s |\n"
            f"| an event through api-a, out of api-b's list: median / max of {out['events_across_s']['n']} | "
            f"{out['events_across_s']['median'] * 1000:.0f} ms / {out['events_across_s']['max'] * 1000:.0f} ms |\n"
            f"| load through both, api-b killed after {f['killed_after_s']:.0f} s: lists served / requests failed "
            f"(all in flight on api-b when it died; at most {f['connections_on_b']} could be) | {f['served']} / {f['failed']} |\n"
            f"| acknowledged events / missing from PostgreSQL | {f['acknowledged_events']} / {f['lost_events']} |\n"
            f"| retrain: both replicas on the new bundle | {out['retrain']['after']} |\n")
    print(text)
    print(f"results: {write_results('stack', text, {k: v for k, v in out.items()}, script='tools/stack.py')}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["images", "check"])
    parser.add_argument("--write", action="store_true", help="record the figures in benchmarks/results/stack.md")
    args = parser.parse_args()
    out = build_images() if args.action == "images" else check(args.write)
    print(json.dumps({k: v for k, v in out.items()}, default=str))


if __name__ == "__main__":
    main()
