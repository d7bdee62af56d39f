"""Business rules over HTTP: the rules file the service follows (HRS_RULES) shapes every recommendation list; a version
that fails a check is refused while the last good rules serve; a good one comes into service by itself; an A/B
variant's own rules; bad rules stop the start-up in one line."""
import os, subprocess

from conftest import SERVE_BIN, free_port, start_server
from test_live import eventually, request


def firsts(base: str, users, k: int = 3) -> dict[str, set]:
    "The first item of each user's list, by variant."
    out = {}
    for user in users:
        answer = request(base, "GET", f"/users/{user}/recommendations?k={k}")[1]
        out.setdefault(answer["variant"], set()).add(answer["items"][0]["item_id"])
    return out


def test_rules_shape_the_lists_follow_the_file_and_a_variant_may_have_its_own(bundle, tmp_path, run_cli):
    rules = tmp_path / "rules.yaml"
    rules.write_text("boost: [{where: {genres: [Western]}, factor: 1000000000}]\n"
                     "cap: {per_genre: 3, genres: {Drama: 1}}\n"
                     "pin: [{item: '1', position: 2}]\n")
    database = f"sqlite:///{tmp_path / 'events.sqlite'}"
    process, base = start_server(bundle, database, HRS_RULES=str(rules), HRS_WATCH_S="0.2")
    try:
        served = request(base, "GET", "/health")[1]["rules"]
        assert served["path"] == "rules.yaml" and len(served["version"]) == 12 and served["error"] is None
        for user in ("1", "7", "405"):
            items = request(base, "GET", f"/users/{user}/recommendations?k=10")[1]["items"]
            assert len(items) == 10 and (items[1]["item_id"], items[1]["rules"]) == ("1", ["pin"]), items[:2]
            rest = [i for i in items if "pin" not in i["rules"]]
            assert sum("Drama" in i["genres"] for i in rest) <= 1, user  # its own cap
            assert all(sum(g in i["genres"] for i in rest) <= 3 for g in {g for i in rest for g in i["genres"]}), user
            westerns = [i for i in rest if "Western" in i["genres"]]
            assert westerns and rest[: len(westerns)] == westerns and westerns[0]["rules"] == ["boost x1e+09"], user
        newcomer = request(base, "POST", "/recommendations", {"k": 5})[1]["items"]
        assert len(newcomer) == 5 and newcomer[1]["item_id"] == "1"  # a newcomer's list follows the rules too

        rules.write_text("boost: [{where: {genres: [Western]}, factor: -2}]\n")  # a bad version: refused
        eventually(lambda: request(base, "GET", "/health")[1]["rules"]["error"] is not None)
        served = request(base, "GET", "/health")[1]["rules"]
        assert "rules.yaml: boost.0.factor: Input should be greater than 0" in served["error"]
        assert request(base, "GET", "/users/1/recommendations?k=10")[1]["items"][1]["item_id"] == "1"  # the last good rules

        rules.write_text("pin: [{item: '50', position: 1}]\n")  # a good one: in service by itself
        eventually(lambda: request(base, "GET", "/users/1/recommendations?k=3")[1]["items"][0]["item_id"] == "50")
        assert request(base, "GET", "/health")[1]["rules"]["error"] is None

        own = tmp_path / "own.yaml"
        own.write_text("pin: [{item: '181', position: 1}]\n")
        spec = tmp_path / "ab.yaml"
        spec.write_text(f"name: rules\nvariants: [{{name: service, share: 0.5}}, {{name: own, share: 0.5, overrides: {{rules: '{own}'}}}}]\n")
        started = run_cli("ab", "start", spec, env={"HRS_DATABASE_URL": database, "HRS_MODEL_DIR": str(bundle)})
        assert started.returncode == 0, started.stderr
        eventually(lambda: (request(base, "GET", "/experiments")[1]["running"] or {}).get("name") == "rules")
        assert firsts(base, range(1, 41)) == {"service": {"50"}, "own": {"181"}}  # each variant's own pin
    finally:
        process.terminate(); process.wait(timeout=30)


def test_bad_rules_stop_the_start_up_in_one_line(bundle, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("favourites: [50]\n")
    result = subprocess.run([str(SERVE_BIN / "hybrid-recsys"), "serve", "--port", str(free_port())], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "HRS_MODEL_DIR": str(bundle), "HRS_RULES": str(rules),
                                 "HRS_DATABASE_URL": f"sqlite:///{tmp_path / 'events.sqlite'}"})
    assert result.returncode != 0 and "rules.yaml: favourites: unknown key (expected one of boost, pin, cap)" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
