"""Publishing a bundle is crash-safe: a writer killed with SIGKILL at any step leaves the served path loadable."""
import os, signal, subprocess, sys, textwrap
from pathlib import Path


from hybrid_recsys.core import PUBLISH_STEPS, versions_dir
from hybrid_recsys.pipeline import load_bundle

ROOT = Path(__file__).resolve().parents[1]
WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from hybrid_recsys.pipeline import run_pipeline
    from hybrid_recsys.testing import checkerboard_dataset
    params = {"sources": ["ease", "pop"], "source_params": {"ease": {"l2": 1.0}}, "n_candidates": 10, "depth": 10, "epochs": 3, "hidden": [8]}
    run_pipeline(checkerboard_dataset(), "ms75", seed=int(sys.argv[2]), params=params, ablation=False, recall_ns=(5,), bundle=Path(sys.argv[1]))
""")


def publish(target: Path, seed: int, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "HRS_KILL_AT"} | {"HRS_QUIET": "1"}
    if kill_at is not None: env["HRS_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-c", WRITER, str(target), str(seed)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


def test_a_writer_killed_at_every_step_leaves_a_loadable_bundle(tmp_path):
    served = tmp_path / "models" / "latest"
    assert publish(served, seed=0).returncode == 0
    before = load_bundle(served).version
    assert served.is_symlink() and before.parent == versions_dir(served)
    orphans = []  # versions written and renamed into place by a writer killed before its switch: never served
    for step in ("writing", *PUBLISH_STEPS):
        existing = set(versions_dir(served).glob("[!.]*"))
        result = publish(served, seed=1, kill_at=step)
        if step in ("versioned", "linked"): orphans += set(versions_dir(served).glob("[!.]*")) - existing
        assert result.returncode == -signal.SIGKILL, (step, result.returncode, result.stderr[-2000:])
        loaded = load_bundle(served)  # raises if the served path names anything but a complete bundle
        assert loaded.model.recommend([0], loaded.model.train_csr, N=3)[0].shape == (1, 3)
        switched = PUBLISH_STEPS.index(step) >= PUBLISH_STEPS.index("switched") if step in PUBLISH_STEPS else False
        assert (loaded.version != before) == switched, (step, loaded.version, before)
        before = loaded.version
    # a writer that is not killed cleans up what killed ones left beside the link, and keeps two older versions
    assert publish(served, seed=2).returncode == 0
    assert not list(served.parent.glob(".latest.link-*"))
    versions = [p for p in versions_dir(served).iterdir() if not p.name.startswith(".")]
    assert len(versions) == 3 and load_bundle(served).version in versions
    assert len(orphans) == 2 and not any(p.exists() for p in orphans)  # gone at the next publish, instead of crowding out served versions
