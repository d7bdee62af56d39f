"""The dashboard in a real headless browser (Debian's chromium, through Playwright) against a real server on the MovieLens-100K
bundle: every page loads with no console error and nothing fetched from outside; the charts have data; the user explorer
shows a history and both stages' lists, and an event added on the page changes the list; the experiment page shows a
simulated experiment's numbers as `hybrid-recsys ab report` prints them, and stops it; bad input gets a message."""
import json, time, urllib.request

import pytest

from browser import chart_values, log_in
from conftest import API_KEY, ROOT, start_server
from hybrid_recsys.serve.abstats import format_interval, format_number

PAGES = {"overview": "/dashboard", "experiments": "/dashboard/experiments", "users": "/dashboard/users?user=1",
         "items": "/dashboard/items?item=50&q=space+adventure", "models": "/dashboard/models"}


@pytest.fixture(scope="module")
def dashboard(bundle, tmp_path_factory):
    "A server on the bundle and a fresh SQLite database (experiments read every 0.3 s); (base URL, `ab` CLI environment, screenshot folder)."
    folder = tmp_path_factory.mktemp("dashboard")
    database = f"sqlite:///{folder / 'events.sqlite'}"
    process, base = start_server(bundle, database, HRS_WATCH_S="0.3", HRS_IMAGE_ROOT=str(folder / "images"))
    yield base, {"HRS_DATABASE_URL": database, "HRS_API_KEYS": API_KEY, "HRS_MODEL_DIR": str(bundle)}, folder
    process.terminate(); process.wait(timeout=60)


@pytest.fixture
def page(browser, dashboard):
    "A logged-in page of a fresh browser context, watched for console errors and requests leaving the machine."
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page, problems = log_in(context, dashboard[0], API_KEY)
    page.problems = problems
    yield page
    context.close()


def call(base: str, path: str, body=None, method=None):
    request = urllib.request.Request(base + path, None if body is None else json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(request, timeout=60) as answer: return json.loads(answer.read())


def visit(page, url: str, status: int = 200):
    answer = page.goto(url, wait_until="networkidle")
    assert answer.status == status, (url, answer.status, page.inner_text("body")[:500])
    return answer


def test_every_page_loads_clean_with_its_charts_drawn(page, dashboard):
    base, _, folder = dashboard
    for user in range(100, 140): call(base, f"/users/{user}/recommendations?k=10")
    call(base, "/events", {"events": [{"event_id": f"overview-{u}", "user_id": str(u), "item_id": "50", "type": "click"} for u in range(100, 120)]})
    for name, path in PAGES.items():
        visit(page, base + path)
        assert "Traceback" not in page.content()
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        assert (folder / f"{name}.png").stat().st_size > 20_000, name
    assert page.problems == {"console": [], "outside": []}, page.problems
    visit(page, f"{base}/dashboard")
    assert sum(chart_values(page, "traffic")) > 0 and any(v for v in chart_values(page, "latency") if v)  # the 40 lists just served
    assert sum(chart_values(page, "events")) >= 20  # the clicks just stored
    assert "ml-100k" in page.inner_text("#bundles") and "0.4" in page.inner_text("#offline")  # the bundle's test NDCG@10 (about 0.49)
    visit(page, f"{base}/dashboard/models")
    recall = chart_values(page, "recall")
    assert len(recall) >= 4 and all(0 < v <= 1 for v in recall)


def test_user_explorer_shows_both_stages_and_an_event_changes_the_list(page, dashboard):
    base = dashboard[0]
    visit(page, f"{base}/dashboard/users?user=1&k=10")
    assert page.inner_text("#user-title") == "user 1"
    history = page.query_selector_all("#history tr")[1:]
    assert len(history) == 30 and all(row.query_selector_all("td")[1].inner_text().strip() for row in history)  # titles
    rows = page.query_selector_all("#stage2 tr")[1:]
    shown = [row.query_selector_all("td")[1].inner_text() for row in rows]
    assert len(shown) == 10 and all(row.query_selector("td.sources").inner_text().strip() for row in rows)  # every item with its sources
    assert all(row.query_selector("td.because").inner_text().strip() for row in rows)  # and the history items behind it
    assert shown == [r["item_id"] for r in call(base, "/users/1/recommendations?k=10")["items"]]  # the API's own list
    assert len(page.query_selector_all("#stage1 tr")) == 11
    page.select_option("select[name=type]", "purchase")  # the form proposes the top item
    with page.expect_navigation(): page.click("#add-event button[type=submit]")
    after = [row.query_selector_all("td")[1].inner_text() for row in page.query_selector_all("#stage2 tr")[1:]]
    assert shown[0] not in after and after != shown and "new in the list" in page.inner_text("#changes")
    assert page.query_selector_all("#history tr")[1].query_selector_all("td")[3].inner_text() == "event"  # the purchase, newest first
    assert after == [r["item_id"] for r in call(base, "/users/1/recommendations?k=10")["items"]]
    assert page.problems == {"console": [], "outside": []}, page.problems
    page.fill("#add-event input[name=item]", "no-such-item")  # an item the service does not hold: refused, said on the page
    with page.expect_navigation() as navigation: page.click("#add-event button[type=submit]")
    assert navigation.value.status == 404 and "no-such-item" in page.inner_text(".message")


def test_the_shelf_filters_every_list_on_the_pages(page, dashboard):
    "A genre and a span of years chosen in the form restrict both stages' lists, the neighbours and the search, as the API does."
    base = dashboard[0]
    visit(page, f"{base}/dashboard/users?user=1&k=10")
    page.select_option("#find-user select[name=genre]", "Western")
    page.fill("#find-user input[name=year_max]", "1970")
    with page.expect_navigation(): page.click("#find-user button[type=submit]")
    shown = [row.query_selector_all("td")[1].inner_text() for row in page.query_selector_all("#stage2 tr")[1:]]
    api = call(base, "/users/1/recommendations?k=10&genres=Western&year_max=1970")["items"]
    assert shown == [r["item_id"] for r in api] and shown  # the unseen Westerns to 1970 (fewer than 10 for user 1)
    assert all("Western" in r["genres"] and r["year"] <= 1970 for r in api)
    assert len(page.query_selector_all("#stage1 tr")) == len(shown) + 1 and page.input_value("#find-user select[name=genre]") == "Western"
    visit(page, f"{base}/dashboard/items?q=space&genre=Comedy")
    found = [row.query_selector_all("td")[1].inner_text() for row in page.query_selector_all("#search-results tr")[1:]]
    api = call(base, "/search?q=space&k=10&genres=Comedy")
    assert found == [r["item_id"] for r in api] and len(found) == 10 and all("Comedy" in r["genres"] for r in api)
    assert page.input_value("#search select[name=genre]") == "Comedy"
    assert page.problems == {"console": [], "outside": []}, page.problems


def test_experiment_page_shows_the_report_and_stops_it(page, dashboard, run_cli):
    base, env, _ = dashboard
    assert run_cli("ab", "start", ROOT / "experiments/online/hybrid-vs-pop.yaml", env=env).returncode == 0
    for _ in range(100):
        if (call(base, "/experiments")["running"] or {}).get("name") == "hybrid-vs-pop-1": break
        time.sleep(0.1)
    simulated = run_cli("ab", "simulate", "--url", base, "--sessions", "1", "--run", "dash", env=env)
    assert simulated.returncode == 0, simulated.stderr
    report = json.loads(run_cli("ab", "report", "hybrid-vs-pop-1", "--json", env=env).stdout)
    visit(page, f"{base}/dashboard/experiments?name=hybrid-vs-pop-1")
    assert page.inner_text("#report-title") == f"experiment hybrid-vs-pop-1 (ab, running): {report['lists']} lists served"
    rows = {row.query_selector("td").inner_text(): [td.inner_text() for td in row.query_selector_all("td")] for row in page.query_selector_all("#variants tr")[1:]}
    for v in report["variants"]:  # the page's numbers are the report's, as `ab report` prints them
        assert rows[v["variant"]][2:8] == [str(v["users"]), str(v["lists"]), str(v["errors"]), format_number(v["latency_p99_ms"], 1),
                                           format_interval(v["ctr"]), format_interval(v["conversion"])], (rows, v)
    difference = next(c for c in report["comparisons"] if c["metric"] == "ctr")
    assert f"{format_number(difference['difference'])} [{format_number(difference['low'])}, {format_number(difference['high'])}]" in page.inner_text("#comparisons")
    assert ("no mismatch" in page.inner_text("#srm")) == (not report["srm"]["mismatch"])
    over_time = chart_values(page, "over-time")
    assert over_time and any(v is not None for v in over_time)
    with page.expect_navigation(): page.click("#stop")
    assert "Stopped" in page.inner_text("main") and "(ab, stopped)" in page.inner_text("#report-title")
    assert call(base, "/experiments")["running"] is None
    assert page.problems == {"console": [], "outside": []}, page.problems


def test_item_explorer_shows_neighbours_and_where_a_new_item_appears(page, dashboard):
    base = dashboard[0]
    call(base, "/items/dash-new-1", {"title": "Orbital Station Rescue", "text": "Astronauts race to save a crippled space station in orbit.",
                                     "genres": ["Sci-Fi", "Thriller"], "year": 1998}, method="PUT")
    visit(page, f"{base}/dashboard/items?item=dash-new-1&k=10")
    assert page.inner_text("#item-title").startswith("Orbital Station Rescue (1998)")
    assert "searching its title: rank 1" in page.inner_text("#appears")  # found by its own title at once, before any retrain
    assert len(page.query_selector_all("#similar-content tr")) == 11 and len(page.query_selector_all("#similar-cf tr")) == 11
    assert "dash-new-1" in page.inner_text("#recent")
    visit(page, f"{base}/dashboard/items?q=space+station+in+orbit")
    assert "dash-new-1" in page.inner_text("#search-results")
    assert page.problems == {"console": [], "outside": []}, page.problems


def test_pictures_show_in_lists_histories_and_item_pages(page, dashboard):
    "An item given a real picture (uploaded, then named in PUT /items) shows it on its page and as a thumbnail in a user's history, served by the service; nothing loads from outside."
    import skimage
    from pathlib import Path
    base = dashboard[0]
    photo = (Path(skimage.__file__).parent / "data" / "rocket.jpg").read_bytes()
    upload = urllib.request.Request(base + "/images", photo, headers={"Content-Type": "image/jpeg", "Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(upload, timeout=60) as answer: stored = json.loads(answer.read())["image"]
    record = call(base, "/items/dash-photo-1", {"title": "Launch Day", "text": "A rocket on its launch pad.", "genres": ["Documentary"], "year": 2001,
                                                "image": stored}, method="PUT")
    assert call(base, "/items/dash-photo-1")["image"] == "/items/dash-photo-1/image", record
    call(base, "/events", {"events": [{"event_id": "dash-photo-click", "user_id": "2", "item_id": "dash-photo-1", "type": "click"}]}, method="POST")
    visit(page, f"{base}/dashboard/items?item=dash-photo-1")
    poster = page.query_selector("img.poster")
    assert poster is not None and page.evaluate("(img) => img.complete && img.naturalWidth > 0", poster)
    assert "does not keep item images apart" in page.inner_text("main")  # ML-100K's content vectors hold no pictures to compare by
    visit(page, f"{base}/dashboard/users?user=2")
    thumbs = page.query_selector_all("#history img.thumb")
    assert len(thumbs) == 1 and page.evaluate("(img) => img.complete && img.naturalWidth > 0", thumbs[0])
    assert page.problems == {"console": [], "outside": []}, page.problems


@pytest.mark.parametrize("path, status, message", [
    ("/dashboard/users?user=no-such-user", 404, "unknown user id 'no-such-user'"),
    ("/dashboard/users?user=1&k=1000000", 400, "k must be a whole number from 1 to 100 (got '1000000')"),
    ("/dashboard/users?user=1&k=ten", 400, "k must be a whole number from 1 to 100 (got 'ten')"),
    ("/dashboard/items?q=%20%20", 400, "enter words to search for"),
    ("/dashboard/items?item=no-such-item", 404, "no-such-item"),
    ("/dashboard/users?user=1&genre=Jazz", 422, "unknown genre 'Jazz'; the catalog's genres are Action"),
    ("/dashboard/users?user=1&year_min=2000&year_max=1990", 400, "year_min: 2000 is after year_max 1990"),
    ("/dashboard/items?q=space&year_max=old", 400, "year_max must be a whole year (got 'old')"),
    ("/dashboard/experiments?name=no-such-experiment", 404, "no experiment 'no-such-experiment'"),
])
def test_bad_input_gets_a_message_on_the_page(page, dashboard, path, status, message):
    visit(page, dashboard[0] + path, status)
    assert message in page.inner_text(".message") and "Traceback" not in page.content()
    assert page.query_selector("header a.active") is not None  # the page itself, with its navigation
    assert all("status of 4" in text for text in page.problems["console"]) and page.problems["outside"] == [], page.problems  # Chromium logs the 4xx itself


def test_the_dashboard_needs_the_key(browser, dashboard):
    base = dashboard[0]
    context = browser.new_context()
    page = context.new_page()
    assert page.goto(f"{base}/dashboard/users?user=1").status == 401 and "needs an API key" in page.inner_text("main")
    page.fill("input[name=key]", "not-the-key")
    with page.expect_navigation(): page.click("button[type=submit]")
    assert "the API key is not valid" in page.inner_text(".message")
    page.fill("input[name=key]", API_KEY)
    with page.expect_navigation(): page.click("button[type=submit]")
    assert page.url.endswith("/dashboard/users?user=1") and page.inner_text("#user-title") == "user 1"  # back where it was going
    cookies = {cookie["name"]: cookie["value"] for cookie in context.cookies()}
    assert list(cookies) == ["hrs_dashboard_session"] and API_KEY not in cookies["hrs_dashboard_session"], cookies  # a session, never the key
    stranger = browser.new_context()
    assert stranger.new_page().goto(f"{base}/dashboard/images/50").status == 401  # images follow the pages' sign-in
    stranger.close(); context.close()
