"""Web pages in a real headless browser (Debian's chromium, driven by Playwright): they render, with no console
errors and no request leaving the machine. `make setup` installs chromium; these tests never skip."""
import shutil
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium is not installed: `make setup` installs it (apt-get install chromium)"
    return path


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


def open_page(browser, url: str):
    "A page at `url`, with every console error and every request that leaves the machine recorded."
    page = browser.new_page()
    problems = {"console": [], "outside": []}
    page.on("console", lambda message: problems["console"].append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems["console"].append(str(error)))
    def check(request):
        host = urlparse(request.url).hostname
        if request.url.startswith(("http:", "https:")) and host not in LOCAL_HOSTS: problems["outside"].append(request.url)
    page.on("request", check)
    page.goto(url, wait_until="networkidle")
    return page, problems


def test_swagger_docs_render_every_operation(browser, server):
    page, problems = open_page(browser, f"{server}/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    text = page.inner_text("body")
    assert "Unable to render this definition" not in text
    paths = {element.inner_text() for element in page.query_selector_all(".opblock-summary-path")}
    assert {"/users/{user_id}/recommendations", "/recommendations", "/items/{item_id}", "/items/{item_id}/similar", "/search",
            "/health", "/ready"} <= {path.replace("\u200b", "") for path in paths}, paths
    assert "OAS 3.1" in text  # Swagger UI 5 read FastAPI's OpenAPI 3.1
    assert problems == {"console": [], "outside": []}, problems


def test_the_checks_can_fail(browser, server):
    "A page that reaches outside and errors is caught by the same recorder (the request is blocked, not sent)."
    page = browser.new_page()
    page.route("**/*", lambda route: route.abort() if urlparse(route.request.url).hostname not in LOCAL_HOSTS else route.continue_())
    outside, errors = [], []
    page.on("request", lambda request: outside.append(request.url) if urlparse(request.url).hostname not in LOCAL_HOSTS else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/health")
    page.set_content('<img src="https://cdn.example.org/x.png"><script>throw new Error("boom")</script>')
    page.wait_for_timeout(500)
    assert outside == ["https://cdn.example.org/x.png"] and any("boom" in e for e in errors)
