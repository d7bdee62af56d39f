"""Many keep-alive connections held open from their own process (tests/test_api.py's connection-pressure test).

`python idle_clients.py BASE_URL COUNT SOURCE_HOST [SOURCE_HOST ...]` opens COUNT connections to BASE_URL, spread over the source
addresses (127.0.0.x: distinct clients on one machine), sends GET /health on each and then again every 4 s (inside the server's
5-second keep-alive), prints "ready" once every connection has had its first answer (or was refused or closed), and on SIGTERM prints
one JSON line: connections opened, closed by the server, and answers by status.
"""
import asyncio, json, signal, sys
from collections import Counter

INTERVAL_S = 4.0


async def hold(host: str, port: int, source: str, delay: float, stats: Counter, settled):
    "One connection: a /health now and every INTERVAL_S, until the server closes it or the run ends."
    try: reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
    except OSError: stats["refused"] += 1; settled(); return
    stats["opened"] += 1
    try:
        while True:
            writer.write(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
            stats[f"status {head.split()[1].decode()}"] += 1
            settled()
            try:  # idle until the next ping, noticing at once when the server closes the connection
                if not await asyncio.wait_for(reader.read(1), INTERVAL_S + delay): raise ConnectionResetError
            except asyncio.TimeoutError: pass
            delay = 0.0
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        stats["closed by the server"] += 1; settled()


async def main(base: str, count: int, sources: list[str]):
    host, port = base.removeprefix("http://").split(":")
    stats, ready, stop, done = Counter(), asyncio.Event(), asyncio.Event(), set()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    def settler(n):
        def settled():
            done.add(n)
            if len(done) == count: ready.set()
        return settled
    tasks = []
    for n in range(count):  # pings spread over the interval; a quick ramp rather than one burst for the backlog
        tasks.append(asyncio.create_task(hold(host, int(port), sources[n % len(sources)], (n % 40) * INTERVAL_S / 40, stats, settler(n))))
        if n % 50 == 49: await asyncio.sleep(0.01)
    await ready.wait()
    print("ready", flush=True)
    await stop.wait()
    for task in tasks: task.cancel()
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
