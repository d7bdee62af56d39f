"""How fast the encoder embeds a real catalog: MovieLens-1M's posters and texts, and where the time goes.

Reads the posters from $HRS_POSTERS_DIR (default ../shared/data/ml-1m-posters, never committed). For this checkout's code, and with
--baseline DIR for another checkout's (run in a process of its own with DIR first on the path, same machine, same day):
- posters/s and texts/s of `Encoder.encode_images` / `encode_texts` over the whole catalog (--limit to take fewer),
and for this checkout, where a poster's time goes: decoding (Pillow), resizing (the encoder's preprocessing) and the image tower's
forward pass at a few batch sizes, channels first against channels last; and the bound: the tower's FLOPs per image (counted by
torch) against the FLOP/s torch reaches here on a large matrix product.
Writes benchmarks/results/encode.{md,json} (--no-write: print only). `.venv/bin/python benchmarks/encode.py [--baseline DIR]`.
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path

from harness import ROOT, write_results


def throughput(limit: int | None) -> dict:
    "Posters/s and texts/s of this process's hybrid_recsys on the catalog (the encoder loaded first, not timed)."
    import warnings
    import pandas as pd
    from hybrid_recsys.data import load_dataset
    from hybrid_recsys.encoder import load_encoder
    folder = Path(os.environ.get("HRS_POSTERS_DIR", ROOT.parent / "shared" / "data" / "ml-1m-posters"))
    movies = pd.read_csv(folder / "movies.csv", dtype=str, keep_default_na=False)[:limit]
    posters = [folder / p for p in movies["poster"] if p]
    texts = load_dataset("ml-1m").items["text"].tolist()[:limit]  # what the content source embeds
    encoder = load_encoder("offline", "cpu")
    encoder.encode_texts(texts[:64], progress=False); encoder.encode_images(posters[:16], progress=False)  # warm: first calls allocate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter(); _, ok = encoder.encode_images(posters, progress=False); image_s = time.perf_counter() - start
    start = time.perf_counter(); encoder.encode_texts(texts, progress=False); text_s = time.perf_counter() - start
    import torch
    return {"posters": len(posters), "posters_read": int(ok.sum()), "posters_per_s": len(posters) / image_s, "texts": len(texts),
            "texts_per_s": len(texts) / text_s, "torch_threads": torch.get_num_threads()}


def where_the_time_goes(limit: int) -> dict:
    "Per-stage rates on `limit` posters, and the tower's FLOPs against the machine's matrix-product FLOP/s."
    import numpy as np, torch
    from torch.utils.flop_counter import FlopCounterMode
    from hybrid_recsys.encoder import load_encoder, open_image
    folder = Path(os.environ.get("HRS_POSTERS_DIR", ROOT.parent / "shared" / "data" / "ml-1m-posters"))
    posters = sorted((folder / "MovieImages").glob("*.jpg"))[:limit]
    encoder = load_encoder("offline", "cpu")
    start = time.perf_counter(); images = [open_image(p).convert("RGB") for p in posters]; decode = len(posters) / (time.perf_counter() - start)
    start = time.perf_counter(); x = torch.stack([encoder.preprocess(i) for i in images]); resize = len(posters) / (time.perf_counter() - start)
    tower, out = encoder.model.visual, {"decode_per_s": decode, "resize_per_s": resize}
    with torch.inference_mode():
        for layout in ("channels_first", "channels_last"):
            fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
            tower.to(memory_format=fmt)
            for batch in (8, 32, 64):
                xb = x[:batch].contiguous(memory_format=fmt); tower(xb)
                start = time.perf_counter(); tower(xb); tower(xb)
                out[f"forward_{layout}_batch{batch}_per_s"] = 2 * batch / (time.perf_counter() - start)
        tower.to(memory_format=torch.channels_last)
        with FlopCounterMode(display=False) as counter: tower(x[:1])
    a = torch.randn(2048, 2048)
    start = time.perf_counter(); [a @ a for _ in range(10)]
    out["tower_gflop_per_image"] = counter.get_total_flops() / 1e9
    out["matmul_gflop_per_s"] = 10 * 2 * 2048**3 / (time.perf_counter() - start) / 1e9
    out["bound_posters_per_s"] = out["matmul_gflop_per_s"] / out["tower_gflop_per_image"]
    return out


def commit_of(checkout: Path) -> str:
    run = lambda *args: subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True).stdout.strip()
    return (run("rev-parse", "--short", "HEAD") or checkout.name) + (" + changes" if run("status", "--porcelain", "--untracked-files=no") else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout, measured the same way in its own process")
    parser.add_argument("--limit", type=int, help="only the first N films")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--throughput-only", action="store_true", help=argparse.SUPPRESS)  # the child process of --baseline
    args = parser.parse_args()
    os.environ.setdefault("HRS_QUIET", "1")
    if args.throughput_only: print(json.dumps(throughput(args.limit))); return
    rows = [{"code": commit_of(ROOT), **throughput(args.limit)}]
    if args.baseline:
        child = subprocess.run([sys.executable, __file__, "--throughput-only", *(["--limit", str(args.limit)] if args.limit else [])],
                               capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(args.baseline)}, cwd=args.baseline)
        if child.returncode: sys.exit(f"error: the baseline run failed: {child.stderr[-2000:]}")
        rows.append({"code": f"{commit_of(args.baseline)} (baseline)", **json.loads(child.stdout.strip().splitlines()[-1])})
    stages = where_the_time_goes(min(args.limit or 256, 256))
    lines = [f"{os.cpu_count()} cores, CPU; the offline encoder (EfficientNet-lite0 image tower at 224 x 224, MiniLM-L6 text tower); "
             "MovieLens-1M's posters (about 185 x 278 JPEG) and texts (`Title (year). Genres: ...`).", "",
             "| code | posters | posters/s | texts | texts/s | torch threads |", "|---|---|---|---|---|---|",
             *[f"| {r['code']} | {r['posters_read']} | {r['posters_per_s']:.1f} | {r['texts']} | {r['texts_per_s']:.0f} | {r['torch_threads']} |" for r in rows],
             "", "Where a poster's time goes (this code, 256 posters; rates per second):", "", "| stage | per s |", "|---|---|",
             *[f"| {k} | {v:.1f} |" for k, v in stages.items()]]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_results("encode", text, {"rows": rows, "stages": stages})


if __name__ == "__main__":
    main()
