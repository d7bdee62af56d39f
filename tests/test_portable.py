"""Serving without torch (issue 38): the serving install has no torch; its service gives the same lists as the torch service on the same
MovieLens-100K bundle; a bundle without its ONNX files is served through torch where torch exists, and refused in one line naming them where
it does not."""
import json, shutil, subprocess, urllib.request

from conftest import CLI, SERVE_BIN, free_port, start_server


def test_the_serving_install_has_no_torch():
    for module in ("torch", "torchvision", "open_clip", "transformers", "mlflow", "pyspark"):
        result = subprocess.run([str(SERVE_BIN / "python"), "-c", f"import {module}"], capture_output=True, text=True)
        assert result.returncode != 0 and "No module named" in result.stderr, module


def get(base: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(base + path, data=data, headers={"content-type": "application/json"}), timeout=30) as answer:
        return json.loads(answer.read())


def lists(base: str, n_users: int) -> dict:
    "Every user's list, newcomers' lists, searches and similar items by content: what the re-ranker and the encoder decide."
    out = {f"user {u}": get(base, f"/users/{u}/recommendations?k=10")["items"] for u in range(1, n_users + 1)}
    for query in ("animated toys come to life", "a war in space", "caf\u00e9 &amp; romance in Paris", "x " * 499):  # the last: 499 tokens, past the text tower's 256
        out[f"newcomer {query[:20]!r}"] = get(base, "/recommendations", {"query": query, "liked_items": ["50"], "k": 10})["items"]
        out[f"search {query[:20]!r}"] = get(base, f"/search?q={urllib.request.quote(query)}&k=10")
    for item in ("1", "50", "181", "1682"):
        out[f"similar {item}"] = get(base, f"/items/{item}/similar?k=10&by=content")
    return out


def test_the_same_lists_as_the_torch_service(bundle, tmp_path):
    onnx, onnx_base = start_server(bundle, f"sqlite:///{tmp_path / 'onnx.sqlite'}")
    torch, torch_base = start_server(bundle, f"sqlite:///{tmp_path / 'torch.sqlite'}", bin_dir=CLI.parent, HRS_BACKEND="torch")
    try:
        n_users = get(onnx_base, "/health")["n_users"]
        served, reference = lists(onnx_base, n_users), lists(torch_base, n_users)
        assert served.keys() == reference.keys() and len(served) > n_users
        for name in reference:
            assert [i["item_id"] for i in served[name]] == [i["item_id"] for i in reference[name]], name
            assert max(abs(a["score"] - b["score"]) for a, b in zip(served[name], reference[name])) < 1e-4, name
    finally:
        for process in (onnx, torch):
            process.terminate(); process.wait(timeout=30)


def _without_onnx(bundle, folder):
    "A copy of the bundle as an older release published it: no ONNX graph, no exported encoder."
    shutil.copytree(bundle.resolve(), folder)
    (folder / "model" / "reranker" / "reranker.onnx").unlink()
    for encoder in (folder / "model" / "sources").glob("*/encoder"):
        shutil.rmtree(encoder)
    return folder


def test_an_older_bundle_is_served_through_torch_and_refused_without_it(bundle, tmp_path):
    older = _without_onnx(bundle, tmp_path / "older")
    process, base = start_server(older, f"sqlite:///{tmp_path / 'events.sqlite'}", bin_dir=CLI.parent)
    try:
        assert len(get(base, "/users/1/recommendations?k=10")["items"]) == 10
        assert len(get(base, "/search?q=space&k=3")) == 3
    finally:
        process.terminate(); process.wait(timeout=30)
    import collections, torch
    weights = older / "model" / "reranker" / "reranker.pt"
    kept = weights.read_bytes()
    torch.save([collections.OrderedDict(), print], weights)  # a pickle that names a callable: torch's weights-only loader refuses it
    refused = subprocess.run([str(CLI), "serve", "--port", str(free_port())], capture_output=True, text=True, timeout=120,
                             env={"PATH": "/usr/bin:/bin", "HRS_MODEL_DIR": str(older), "HRS_DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite'}"})
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert refused.returncode != 0 and len(lines) == 1 and "not a complete saved re-ranker" in lines[0], refused.stderr
    weights.write_bytes(kept)
    result = subprocess.run([str(SERVE_BIN / "hybrid-recsys"), "serve", "--port", str(free_port())], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "HRS_MODEL_DIR": str(older), "HRS_DATABASE_URL": f"sqlite:///{tmp_path / 'e.sqlite'}"})
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: cannot start the service: model bundle {older}: this install cannot serve it: it lacks "
                               "model/reranker/reranker.onnx, model/sources/content/encoder/encoder.json"), lines[0]
    assert "(no torch here)" in lines[0] and "requirements-train.txt" in lines[0]
