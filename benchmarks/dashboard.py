"""The dashboard's server time per view, and the screenshots of its pages in docs/dashboard/.

A fresh `hybrid-recsys serve` on the `make run` bundle (models/latest) and a fresh event database; a simulated A/B test
(hybrid vs popularity, `hybrid-recsys ab simulate`, 2 lists per MovieLens-100K user) and 2,000 more lists served, so that
every page has numbers; then each view is asked for 50 times, one at a time, and its `Server-Timing` header read (the time
the view's numbers took, and that plus rendering the page). Last, each page is opened in Debian's chromium (the tests'
own tooling, `tests/browser.py`) and saved to docs/dashboard/*.png.
Run after `make run`: `.venv/bin/python benchmarks/dashboard.py` (about 3 minutes on 2 cores).
"""
import json, os, re, subprocess, sys, tempfile, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from harness import KEY, ROOT, free_port, recorded, start

sys.path.insert(0, str(ROOT / "tests"))
from browser import launch, log_in  # noqa: E402

CLI = str(Path(sys.executable).parent / "hybrid-recsys")
VIEWS = {"overview": "/dashboard", "experiments": "/dashboard/experiments", "users": "/dashboard/users?user=1&k=10",
         "items": "/dashboard/items?item=50&k=10", "search": "/dashboard/items?q=space+adventure&k=10", "models": "/dashboard/models"}


def timed(base: str, path: str) -> tuple[float, float, float]:
    "(view ms, view + render ms, round trip ms) of one request."
    request = urllib.request.Request(base + path, headers={"Cookie": f"hrs_dashboard_key={KEY}"})
    start_s = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as answer:
        answer.read(); header = answer.headers["Server-Timing"]
    view, total = (float(x) for x in re.findall(r"dur=([0-9.]+)", header))
    return view, total, (time.perf_counter() - start_s) * 1000


def main(runs: int = 50):
    bundle = ROOT / "models" / "latest"
    with tempfile.TemporaryDirectory() as work:
        env = {"HRS_MODEL_DIR": str(bundle), "HRS_DATABASE_URL": f"sqlite:///{work}/events.sqlite", "HRS_API_KEYS": KEY, "HRS_WATCH_S": "0.3"}
        port = free_port(); base = f"http://127.0.0.1:{port}"
        server = start([CLI, "serve", "--log-level", "warning", "--port", str(port)], base, env)
        try:
            run = lambda *args: subprocess.run([CLI, *args], env={**os.environ, **env, "HRS_QUIET": "1"}, check=True, capture_output=True, text=True)
            run("ab", "start", str(ROOT / "experiments/online/hybrid-vs-pop.yaml"))
            time.sleep(1.0)
            run("ab", "simulate", "--url", base, "--sessions", "2", "--run", "dashboard")
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda n: urllib.request.urlopen(f"{base}/users/{n % 943 + 1}/recommendations?k=10", timeout=60).read(), range(2000)))
            figures = {}
            for name, path in VIEWS.items():
                timed(base, path)  # the first request of a view warms it (the MLflow lookup, for one)
                samples = np.array([timed(base, path) for _ in range(runs)])
                figures[name] = {"view_p50_ms": float(np.median(samples[:, 0])), "view_max_ms": float(samples[:, 0].max()),
                                 "server_p50_ms": float(np.median(samples[:, 1])), "server_max_ms": float(samples[:, 1].max()),
                                 "round_trip_p50_ms": float(np.median(samples[:, 2]))}
            shots = ROOT / "docs" / "dashboard"
            shots.mkdir(parents=True, exist_ok=True)
            from playwright.sync_api import sync_playwright
            with sync_playwright() as playwright:
                browser = launch(playwright)
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page, problems = log_in(context, base, KEY)
                for name, path in VIEWS.items():
                    page.goto(base + path.replace("item=50&k=10", "item=50&k=10&q=space+adventure"), wait_until="networkidle")
                    page.screenshot(path=str(shots / f"{name}.png"), full_page=name != "users")
                browser.close()
            if problems["console"] or problems["outside"]: raise RuntimeError(f"the pages had problems: {problems}")
        finally:
            server.terminate(); server.wait(timeout=60)
    print(json.dumps(figures, indent=1))
    print("| view | numbers (p50 / max, ms) | numbers + page (p50 / max, ms) | round trip p50 (ms) |\n|---|---|---|---|")
    for name, f in figures.items():
        print(f"| {name} | {f['view_p50_ms']:.1f} / {f['view_max_ms']:.1f} | {f['server_p50_ms']:.1f} / {f['server_max_ms']:.1f} | {f['round_trip_p50_ms']:.1f} |")


if __name__ == "__main__":
    with recorded():
        main()
