"""`make docs`: the documentation site builds offline from the chapters and guides, and reads in a real browser.

Runs after tests/test_notebooks.py, whose executed chapters the build reuses (a chapter missing from that cache is run
here). The site is served by a real HTTP server; chromium opens the index and three chapters, follows the navigation,
searches, and records anything fetched from outside the machine.
"""
import functools, http.server, sys, threading, time
from pathlib import Path

import pytest

from browser import open_page

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_docs  # noqa: E402


@pytest.fixture(scope="module")
def site():
    "The built site, served on a free local port: its base URL."
    folder = build_docs.build()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def search(page, query: str, timeout_s: float = 30.0):
    """Type `query` into the site's search, key by key as a person does, until it lists results. (Setting the field's
    value at once, as `fill` does, is not always taken for typing by Material's search: the list then stays empty.)"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        page.focus("input[name=query]"); page.keyboard.press("Control+A"); page.keyboard.press("Backspace")
        page.keyboard.type(query, delay=20)
        try: return page.wait_for_selector(".md-search-result__item", timeout=5000)
        except PlaywrightTimeout: pass
    raise AssertionError(f"the site's search listed nothing for {query!r} within {timeout_s:.0f} s")


def test_site_renders_navigates_and_searches_offline(site, browser):
    page, problems = open_page(browser, f"{site}/index.html")
    assert "hybrid_recsys" in page.title()
    nav = page.locator("nav.md-nav--primary")
    for section in ("Guides", "Offline wing", "Serving wing", "Command line", "Benchmarks"):
        assert nav.get_by_text(section, exact=True).count() >= 1, section
    with page.expect_navigation(): nav.get_by_role("link", name="14 The two-stage hybrid").first.click()
    assert page.url.endswith("/chapters/14_hybrid.html")
    assert page.locator("h1").first.inner_text() == "The two-stage hybrid"
    assert page.locator(".jp-CodeCell").count() > 10  # the code, with its prose
    assert page.get_by_text("#| export").count() == 0  # directives are not shown
    for chapter, text in (("03_metrics", "Ranking metrics"), ("serve/29_api", "The service"), ("06_evaluate", "Evaluate")):
        page.goto(f"{site}/chapters/{chapter}.html", wait_until="networkidle")
        assert text in page.locator("article").inner_text(), chapter
    assert page.locator("article .jp-OutputArea-output img").count() >= 1  # 06's figure: the examples' outputs are kept
    search(page, "bootstrap")
    assert page.locator(".md-search-result__item").count() >= 1
    with page.expect_navigation(): page.locator(".md-search-result__item a").first.click()
    assert page.url.startswith(site)
    assert problems == {"console": [], "outside": []}


def test_every_chapter_and_guide_is_a_page(site):
    pages = {p.relative_to(build_docs.SITE).as_posix() for p in build_docs.SITE.rglob("*.html")}
    assert {f"chapters/{nb.relative_to(ROOT / 'nbs').with_suffix('.html').as_posix()}" for nb in build_docs.chapters()} <= pages
    assert {f"guide/{'index' if p.name == 'README.md' else p.stem}.html" for p in (ROOT / "docs").glob("*.md")} <= pages
    index = (build_docs.SITE / "index.html").read_text()
    assert 'href="guide/speed.html"' in index  # the README's links lead to the site's own pages
