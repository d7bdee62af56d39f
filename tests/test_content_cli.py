"""Content commands across the process boundary: embed (cache), similar, search, images from a folder, cold start, real CLIP offline."""
import json
from pathlib import Path

import pytest
import skimage
from PIL import Image


def test_similar_star_wars(run_cli):
    result = run_cli("similar", "--dataset", "ml-100k", "--item", "50", "--k", "10", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["item"]["title"] == "Star Wars" and payload["encoder"] == "offline"
    top3 = [row["item_id"] for row in payload["results"][:3]]
    assert {"181", "172"} <= set(top3), payload["results"]
    scores = [row["score"] for row in payload["results"]]
    assert len(scores) == 10 and scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("query, expected, within", [("jedi knights in space", {"181", "50"}, 5), ("animated toys come to life", {"1"}, 1)])
def test_search(run_cli, query, expected, within):
    result = run_cli("search", "--dataset", "ml-100k", query, "--k", "5", "--json")
    assert result.returncode == 0, result.stderr
    found = [row["item_id"] for row in json.loads(result.stdout)["results"]]
    assert expected <= set(found[:within]), found


def test_embed_caches_and_reports(run_cli, tmp_path):
    env = {"HRS_DATA_DIR": tmp_path}
    first = run_cli("embed", "--dataset", "ml-100k", "--json", env=env)
    assert first.returncode == 0, first.stderr
    second = run_cli("embed", "--dataset", "ml-100k", "--json", env=env)
    first, second = json.loads(first.stdout), json.loads(second.stdout)
    assert (first["from_cache"], second["from_cache"]) == (False, True)
    assert (second["n_items"], second["text_dim"], second["n_images"]) == (1682, 384, 0)
    manifest = json.loads((tmp_path / "embeddings" / "ml-100k" / "offline" / "manifest.json").read_text())
    assert manifest["encoder"] == "offline" and manifest["n_items"] == 1682 and len(manifest["weights_sha256"]) == 64


def test_own_items_with_image_folder(run_cli, tmp_path):
    "Your own catalog with photos in a folder: a flipped copy is the nearest item, a broken image is named and skipped."
    photos = Path(skimage.__file__).parent / "data"
    images = tmp_path / "images"; images.mkdir()
    astronaut = Image.open(photos / "astronaut.png").convert("RGB")
    astronaut.save(images / "a.jpg")
    Image.open(photos / "coffee.png").convert("RGB").save(images / "b.jpg")
    Image.open(photos / "rocket.jpg").convert("RGB").save(images / "c.png")
    astronaut.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(images / "d.jpg")
    (images / "e.jpg").write_bytes(b"not an image at all")
    (tmp_path / "inter.csv").write_text("user_id,item_id\nu1,a\nu1,b\nu2,c\nu2,d\nu3,e\n")
    (tmp_path / "items.csv").write_text("item_id,title,text\n" + "".join(f"{i},Photo {i},a photograph\n" for i in "abcde"))
    files = ["--interactions", tmp_path / "inter.csv", "--items", tmp_path / "items.csv", "--image-dir", images]
    env = {"HRS_DATA_DIR": tmp_path / "cache"}
    embedded = run_cli("embed", *files, "--json", env=env)
    assert embedded.returncode == 0, embedded.stderr
    report = json.loads(embedded.stdout)
    assert (report["n_images"], report["image_dim"]) == (4, 1280)
    assert "1 of 5 images could not be read" in embedded.stderr and "item e (Photo e): " in embedded.stderr and "e.jpg" in embedded.stderr
    similar = run_cli("similar", *files, "--item", "a", "--k", "1", "--json", env=env)
    assert similar.returncode == 0, similar.stderr
    assert json.loads(similar.stdout)["results"][0]["item_id"] == "d"


def test_cold_start_content_beats_random(run_cli):
    ndcg = {}
    for model in ("random", "content"):
        result = run_cli("evaluate", "--dataset", "ml-100k", "--protocol", "cold-items", "--model", model, "--json")
        assert result.returncode == 0, result.stderr
        ndcg[model] = json.loads(result.stdout)["metrics"]["ndcg@10"]
    assert ndcg["content"]["low"] > ndcg["random"]["high"], ndcg


def test_real_clip_offline_fails_in_one_line(run_cli):
    # HF_HUB_OFFLINE makes this test offline on any machine; without it the same line comes from the failed network probe.
    result = run_cli("search", "--dataset", "ml-100k", "jedi", "--encoder", "ViT-B-32:laion2b_s34b_b79k", env={"HF_HUB_OFFLINE": "1"}, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: encoder 'ViT-B-32:laion2b_s34b_b79k': its weights are not in the local cache"), result.stderr
    assert "--encoder ViT-B-32:/path/to/" in lines[0] and result.stdout == ""


@pytest.mark.parametrize("args, message", [
    (("similar", "--item", "nope"), "unknown item id 'nope'"),
    (("similar", "--item", "50", "--encoder", "ViT-B-32:/no/such.bin"), "checkpoint file /no/such.bin does not exist"),
    (("search", "x", "--encoder", "bert"), "unknown encoder 'bert': expected offline, tiny, clip"),
    (("search", "x", "--k", "0"), "--k must be at least 1"),
])
def test_content_bad_inputs(run_cli, args, message):
    result = run_cli(*args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
