"""The deployment files validate: the Kubernetes manifests against Kubernetes' own schemas (kubernetes-validate, strict:
an unknown field is an error), the compose file against the Compose specification's JSON schema (deploy/schemas/,
from compose-spec/compose-spec). And they name what the service really reads and answers."""
import copy, json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from conftest import ROOT

KUBERNETES = "1.30.0"  # the oldest release still supported by the major clouds when this was written; every kind used here is GA there
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))


def validate_compose(compose: dict):
    "Against the Compose specification's schema (draft 7; its $schema URL is not one jsonschema recognises by itself)."
    jsonschema.Draft7Validator(json.loads((ROOT / "deploy/schemas/compose-spec.json").read_text())).validate(compose)


def documents() -> dict[str, dict]:
    return {f"{path.name}:{doc['kind']}": doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text())}


def test_the_manifests_validate_and_hold_what_the_issue_asks_for():
    docs = documents()
    for name, doc in docs.items(): kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    kinds = sorted(doc["kind"] for doc in docs.values())
    assert kinds == ["CronJob", "Deployment", "HorizontalPodAutoscaler", "Job", "PersistentVolumeClaim", "PodDisruptionBudget", "Secret",
                     "Service"], kinds
    api = docs["deployment.yaml:Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert api["image"] == "hybrid-recsys:serve"  # the serving image: no torch
    budget = docs["pdb.yaml:PodDisruptionBudget"]["spec"]
    assert budget["minAvailable"] == 1 and budget["selector"] == docs["deployment.yaml:Deployment"]["spec"]["selector"]
    measured = json.loads((ROOT / "benchmarks/results/portable.json").read_text())  # one serving process's resident memory after load
    rss_mib = max(row["http"]["rss_mib"] for label, row in measured.items() if label.startswith("ONNX"))
    requested = api["resources"]["requests"]["memory"]
    assert requested.endswith("Gi") and float(requested[:-2]) * 1024 >= 1.5 * rss_mib, (requested, rss_mib)  # room for a hot swap
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready" and api["livenessProbe"]["httpGet"]["path"] == "/health"
    secrets = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in api["env"] if "valueFrom" in e}
    assert secrets == {"HRS_DATABASE_URL": "database-url", "HRS_API_KEYS": "api-keys"}
    assert set(secrets.values()) <= set(docs["secret.example.yaml:Secret"]["stringData"])
    job = docs["retrain-cronjob.yaml:CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"][:2] == ["hybrid-recsys", "retrain"] and job["image"] == "hybrid-recsys:train"
    assert docs["hpa.yaml:HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == docs["deployment.yaml:Deployment"]["metadata"]["name"]


def test_the_checks_can_fail():
    "A misspelt field and a wrong type are caught by the same validators."
    deployment = copy.deepcopy(documents()["deployment.yaml:Deployment"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbes"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError): kubernetes_validate.validate(deployment, KUBERNETES, strict=True)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    compose["services"]["api"]["portz"] = compose["services"]["api"].pop("ports")
    with pytest.raises(jsonschema.ValidationError): validate_compose(compose)


def test_the_compose_file_validates_and_names_what_the_service_reads():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    validate_compose(compose)
    services = compose["services"]
    assert set(services) == {"postgres", "api", "retrain", "mlflow"} and services["api"]["deploy"]["replicas"] == 2
    assert services["api"]["environment"]["HRS_DATABASE_URL"].startswith("postgresql+psycopg://") and services["api"]["volumes"] == ["./models:/app/models:ro"]
    assert "hybrid-recsys retrain" in services["retrain"]["command"][-1]
    assert services["api"]["build"]["target"] == "serve" and services["retrain"]["build"]["target"] == "train"
    host = yaml.safe_load((ROOT / "deploy/podman/compose.host.yml").read_text())  # the same stack on the host's network (make stack runs it)
    validate_compose(host)
    assert {s: v["network_mode"] for s, v in host["services"].items()} == dict.fromkeys(["postgres", "api-a", "api-b", "retrain", "mlflow"], "host")
    guide = (ROOT / "docs" / "serving.md").read_text()
    for variable in ("HRS_MODEL_DIR", "HRS_DATABASE_URL", "HRS_API_KEYS", "HRS_FOLLOW_S", "HRS_WATCH_S"): assert variable in guide, variable  # documented


def test_the_retrain_command_the_schedules_run_exists(run_cli):
    result = run_cli("retrain", "--help")
    assert result.returncode == 0 and "--quiet" in result.stdout
