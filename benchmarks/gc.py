"""What a full garbage collection costs in the served process, and what freezing the loaded heap saves.

Loads the app as `hybrid-recsys serve` does (bundle, encoder warm-up) but before `gc.freeze`, counts the objects Python's
cyclic collector tracks, and times full collections before and after freezing them.
Run after `make run`: `.venv/bin/python benchmarks/gc.py`.
"""
import gc, os, time
from pathlib import Path

from hybrid_recsys.serve.api import single_threaded
from hybrid_recsys.pipeline import load_bundle
from harness import recorded

ROOT = Path(__file__).resolve().parents[1]


def full_collection_ms(repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); gc.collect(); times.append((time.perf_counter() - start) * 1000)
    return min(times)


def main():
    single_threaded()
    bundle = load_bundle(os.environ.get("HRS_MODEL_DIR", ROOT / "models" / "latest"))
    if "content" in bundle.model.generator.sources: bundle.search(bundle.items["title"].iloc[0], 1)  # the encoder, as the service warms it
    tracked, before = len(gc.get_objects()), full_collection_ms()
    gc.freeze()
    print(f"| tracked objects | full collection (ms) | after gc.freeze (ms) |\n|---|---|---|\n| {tracked:,} | {before:.0f} | {full_collection_ms():.2f} |")


if __name__ == "__main__":
    with recorded():
        main()
