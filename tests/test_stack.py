"""The deployment, run (issue 38): the serving and training images built with podman, the compose stack on the host's network (two
API replicas over PostgreSQL, the retrain job, MLflow) driven under load: events across replicas within 1 s, a replica killed with
only its in-flight requests failing and no acknowledged event lost, one retrain cycle both replicas swap to. tools/stack.py does the
work and asserts each step; this runs it as `make stack` does and reads its summary."""
import json, subprocess, sys

from conftest import ROOT


def test_the_stack_runs_for_real():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "stack.py"), "check"], capture_output=True, text=True, timeout=3000, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-6000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["images"]["localhost/hybrid-recsys:serve"]["bytes"] < 1.5e9, out["images"]  # the serving image's goal
    assert out["events_across_s"]["max"] <= 1.0 and out["failover"]["lost_events"] == 0, out
    assert out["failover"]["failed"] <= out["failover"]["connections_on_b"], out["failover"]
    assert out["retrain"]["after"] != out["retrain"]["before"], out["retrain"]
