"""Web pages in a real headless browser (Debian's chromium, driven by Playwright): they render, with no console
errors and no request leaving the machine. `make setup` installs chromium; these tests never skip."""
from urllib.parse import urlparse

from browser import LOCAL_HOSTS, open_page


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
