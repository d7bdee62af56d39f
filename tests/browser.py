"""Driving Debian's chromium through Playwright, for the browser tests and for `benchmarks/dashboard.py` (its screenshots):
a page that records every console error and every request that leaves the machine, and the dashboard's log-in."""
import shutil
from urllib.parse import urlparse

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium is not installed: `make setup` installs it (apt-get install chromium)"
    return path


def launch(playwright):
    "Headless Debian chromium, with nothing of its own reaching the network."
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


def watch(page) -> dict:
    "Record the page's console errors and uncaught exceptions, and every request to a host other than this machine."
    problems = {"console": [], "outside": []}
    page.on("console", lambda message: problems["console"].append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems["console"].append(str(error)))
    def check(request):
        host = urlparse(request.url).hostname
        if request.url.startswith(("http:", "https:")) and host not in LOCAL_HOSTS: problems["outside"].append(request.url)
    page.on("request", check)
    return problems


def open_page(browser, url: str):
    "A new page at `url`, watched (`watch`)."
    page = browser.new_page()
    problems = watch(page)
    page.goto(url, wait_until="networkidle")
    return page, problems


def log_in(context, base: str, key: str):
    "Log a browser context in to the dashboard through its form (a session, not the key, is kept in a cookie); the page, watched, and its problems."
    page = context.new_page()
    problems = watch(page)
    page.goto(f"{base}/dashboard", wait_until="networkidle")
    page.fill("input[name=key]", key)
    with page.expect_navigation(): page.click("button[type=submit]")
    problems["console"].clear()  # the log-in form itself is a 401 page: Chromium reports that status as a console error
    return page, problems


def chart_values(page, chart_id: str) -> list:
    "Every value the chart on the page draws (Chart.js's own data, read back from the browser)."
    return page.evaluate("""id => { const chart = Chart.getChart(document.querySelector(`canvas[data-chart="${id}"]`));
        return chart ? chart.data.datasets.flatMap(d => d.data.map(v => (v !== null && typeof v === 'object') ? v.y : v)) : null; }""", chart_id)
