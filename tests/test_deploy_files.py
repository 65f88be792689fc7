"""The container and cluster files in deploy/, checked without a container
engine: the compose file against the compose-spec schema (Docker Compose's
own `config`), the Kubernetes manifests against Kubernetes' schemas
(kubernetes-validate), the Dockerfile with hadolint, what the Dockerfile
copies exists, and the image's entrypoint runs its commands in this venv."""

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx2
import pytest
import yaml
from django.core.management import ManagementUtility, call_command
from dotenv import dotenv_values

from atelier.management.commands.serve import PROCESSES
from studio.jobs import LOCAL_BACKENDS, queue_for
from tests.stack import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
VENV_BIN = Path(sys.executable).parent
ENTRYPOINT = DEPLOY / "entrypoint.sh"
# The oldest Kubernetes the manifests are for (a preStop sleep needs 1.30).
KUBERNETES_VERSIONS = ["1.30.0"]


def tool(name: str) -> str:
    """A validator installed into the venv by the dev extra (Linux x86_64 wheels)."""
    path = VENV_BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed: the dev extra has it on Linux x86_64 (make lock)")
    return str(path)


# --- compose


def compose_config(tmp_path, compose_text: str, *args: str) -> subprocess.CompletedProcess:
    """`docker compose config` on ``compose_text`` beside nginx.conf and an
    .env made from the documented production env, as the docs tell."""
    (tmp_path / "compose.yaml").write_text(compose_text)
    shutil.copy(DEPLOY / "nginx.conf", tmp_path / "nginx.conf")
    shutil.copy(DEPLOY / "production.env.example", tmp_path / ".env")
    return subprocess.run(
        [tool("docker-compose"), "-f", str(tmp_path / "compose.yaml"), *args, "config"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )


def test_compose_file_passes_the_compose_spec_schema(tmp_path):
    text = (DEPLOY / "compose.yaml").read_text()
    for profile in ([], ["--profile", "gpu", "--profile", "s3"]):
        result = compose_config(tmp_path, text, *profile)
        assert result.returncode == 0, result.stderr
    # The validator does reject a misspelt key.
    broken = text.replace("stop_grace_period: 60s", "stop_grace_periods: 60s")
    result = compose_config(tmp_path, broken)
    assert result.returncode != 0 and "stop_grace_periods" in result.stderr


def compose_services(tmp_path) -> dict:
    compose_config(tmp_path, (DEPLOY / "compose.yaml").read_text())
    result = subprocess.run(
        [tool("docker-compose"), "-f", str(tmp_path / "compose.yaml")]
        + ["--profile", "gpu", "--profile", "s3", "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["services"]


def test_compose_runs_each_process_with_a_restart_policy_and_health_checks(tmp_path):
    services = compose_services(tmp_path)
    app = {"web", "worker-remote", "worker-gpu", "reaper"}
    assert app | {"migrate", "nginx", "postgres", "redis", "minio"} <= set(services)
    for name in app | {"nginx", "postgres", "redis"}:
        assert services[name]["restart"] == "unless-stopped", name
    assert {name: services[name]["command"] for name in app} == {
        "web": ["web"],
        "worker-remote": ["remote-worker"],
        "worker-gpu": ["gpu-worker"],
        "reaper": ["reaper"],
    }
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert services["worker-gpu"]["profiles"] == ["gpu"]  # only where there is a GPU
    gpu = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert gpu == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    # Migrations run first; nginx sends the files from the volume web writes.
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    media = {
        name: {v["target"] for v in service.get("volumes", []) if v["source"] == "media"}
        for name, service in services.items()
    }
    assert media["web"] == media["nginx"] == {"/srv/atelier/media"}
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "alias /srv/atelier/media/;" in nginx
    assert services["web"]["environment"]["ATELIER_ACCEL_REDIRECT"] == "/protected-media/"
    assert "location /protected-media/" in nginx
    # The images are built from this repository's Dockerfile.
    for name in app:
        build = services[name]["build"]
        assert Path(build["context"]) == Path(tmp_path).parent
        assert (ROOT / build["dockerfile"]).exists()
    assert services["worker-gpu"]["build"]["target"] == "gpu"


# --- Kubernetes


def manifests() -> list[tuple[str, dict]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present, "every manifest is applied by kubectl apply -k deploy/k8s"
    return [
        (name, doc)
        for name in sorted(listed)
        for doc in yaml.safe_load_all((K8S / name).read_text())
        if doc
    ]


def test_kubernetes_manifests_pass_the_kubernetes_schemas():
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="the dev extra's kubernetes-validate (make lock, make)"
    )
    checked = []
    for _file, doc in manifests():
        if doc["apiVersion"].startswith("keda.sh/"):
            continue  # a custom resource: checked below
        for version in [*KUBERNETES_VERSIONS, kubernetes_validate.latest_version()]:
            kubernetes_validate.validate(doc, version, strict=True)
        checked.append(f"{doc['kind']}/{doc['metadata']['name']}")
    assert {
        "Deployment/web",
        "Deployment/worker-remote",
        "Deployment/worker-gpu",
        "Deployment/reaper",
        "Service/web",
        "Ingress/atelier",
        "ConfigMap/atelier-config",
        "Secret/atelier-secrets",
        "PodDisruptionBudget/web",
        "HorizontalPodAutoscaler/web",
        "Job/atelier-migrate",
    } <= set(checked)
    # The validator does reject a misspelt field.
    web = next(doc for _, doc in manifests() if doc["kind"] == "Deployment")
    broken = {**web, "spec": {**web["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def by_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == kind}


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_each_worker_kind_scales_on_its_celery_queue():
    queues = {queue_for(next(iter(LOCAL_BACKENDS))), queue_for("openai")}
    assert queues == {"gpu", "remote"}
    deployments = by_kind("Deployment")
    config = by_kind("ConfigMap")["atelier-config"]["data"]
    scaled = by_kind("ScaledObject")
    listed = {}
    for scaler in scaled.values():
        assert scaler["apiVersion"] == "keda.sh/v1alpha1"
        target = deployments[scaler["spec"]["scaleTargetRef"]["name"]]
        (trigger,) = scaler["spec"]["triggers"]
        assert trigger["type"] == "redis"
        assert trigger["metadata"]["addressFromEnv"] in config
        assert int(trigger["metadata"]["listLength"]) > 0
        # A queue with jobs and no worker makes /readyz (the web pods') fail.
        assert scaler["spec"]["minReplicaCount"] >= 1
        listed[trigger["metadata"]["listName"]] = container(target)["args"]
    assert listed == {"gpu": ["gpu-worker"], "remote": ["remote-worker"]}
    assert config["CELERY_BROKER_URL"].endswith(":6379/0")
    assert config["CELERY_BROKER_URL"].split("//")[1].startswith(config["REDIS_ADDRESS"])


def test_the_gpu_worker_lands_on_a_gpu_node_and_the_web_pods_are_probed():
    deployments = by_kind("Deployment")
    gpu = deployments["worker-gpu"]["spec"]["template"]["spec"]
    assert gpu["nodeSelector"]
    assert gpu["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert gpu["containers"][0]["image"] == "atelier-gpu"
    web = container(deployments["web"])
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] != "/readyz"
    config = by_kind("ConfigMap")["atelier-config"]["data"]
    for probe in (web["readinessProbe"], web["livenessProbe"]):
        headers = {h["name"]: h["value"] for h in probe["httpGet"]["httpHeaders"]}
        assert headers["Host"] in config["ALLOWED_HOSTS"].split(",")
        assert headers["X-Forwarded-Proto"] == "https"
    # The liveness path is a file collectstatic puts in the image.
    static = web["livenessProbe"]["httpGet"]["path"].removeprefix("/static/")
    assert (ROOT / "static" / static).is_file()
    pdb = by_kind("PodDisruptionBudget")["web"]["spec"]["selector"]
    assert pdb["matchLabels"] == deployments["web"]["spec"]["selector"]["matchLabels"]
    # Every container runs one of the entrypoint's commands.
    for doc in [*deployments.values(), *by_kind("Job").values()]:
        args = container(doc)["args"]
        assert args[0] in entrypoint_commands() | {"manage"}, args


# --- Dockerfile


def entrypoint_commands() -> set[str]:
    case = re.search(
        r"^\s+([\w|-]+)\)\n\s+exec python manage.py serve", ENTRYPOINT.read_text(), re.M
    )
    return set(case.group(1).split("|"))


def test_the_entrypoint_starts_every_process_that_serve_runs():
    assert entrypoint_commands() == set(PROCESSES)


def test_dockerfile_passes_hadolint():
    result = subprocess.run(
        [tool("hadolint"), "--no-color", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_what_the_dockerfile_copies_exists():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    sources = []
    for line in dockerfile.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from=") for w in words):
            sources += [w for w in words[1:-1] if not w.startswith("--")]
    assert "deploy/entrypoint.sh" in sources
    lock_files = [s for s in sources if s.startswith("requirements/")]
    if not (ROOT / "requirements").exists():
        pytest.skip(f"the lock files {lock_files} are not in this checkout yet (make lock)")
    missing = [s for s in sources if not (ROOT / s).exists()]
    assert not missing
    assert os.access(ENTRYPOINT, os.X_OK)
    # Every package pyproject installs is copied into the image.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {p.rstrip("*") for p in packages} <= set(sources)
    # The CUDA image installs the torch that pyproject pins.
    pin = next(d for d in pyproject["project"]["optional-dependencies"]["local"] if "torch" in d)
    assert f"ARG TORCH_VERSION={pin.split('==')[1]}" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not set(sources) & set(ignored)


# --- the entrypoint's commands, run here


def image_env(tmp_path, **extra) -> dict:
    """The image's environment (deploy/Dockerfile's ENV) with this venv's
    python first on PATH, a fresh var folder, and no deployment settings."""
    return {
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        "ATELIER_VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "var" / "media"),
        "STATIC_ROOT": str(tmp_path / "static"),
        **extra,
    }


def entrypoint(*args, env, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_workers_and_reaper_commands_parse_in_this_venv(tmp_path, capsys):
    env = image_env(tmp_path)
    for name in ("gpu-worker", "remote-worker", "reaper"):
        call_command("serve", only=name, print_only=True)
        command = json.loads(capsys.readouterr().out)
        if command[1] == "manage.py":
            # Django's parser of that command takes every option given.
            utility = ManagementUtility(["manage.py"])
            parser = utility.fetch_command(command[2]).create_parser("manage.py", command[2])
            parser.parse_args(command[3:])
            continue
        # --help after every option: the app loads and each option exists.
        result = subprocess.run(
            [*command, "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, (command, result.stderr)
        assert "usage" in result.stdout.lower()


def production_env(tmp_path, **extra) -> dict:
    """The image's environment with the documented production settings, on a
    database and job queue of its own (SQLite files in the var folder)."""
    documented = dotenv_values(DEPLOY / "production.env.example")
    for service in ("DATABASE_URL", "CELERY_BROKER_URL"):
        documented.pop(service)
    documented["SECRET_KEY"] = secrets.token_urlsafe(50)  # the file holds a placeholder
    return image_env(tmp_path, **documented, **extra)


def test_the_image_serves_web_from_its_entrypoint_and_answers_the_probes(tmp_path):
    # The Dockerfile's build step: no deployment settings, a throwaway key.
    collected = entrypoint(
        "manage", "collectstatic", "--noinput", "--verbosity", "0",
        env=image_env(tmp_path, SECRET_KEY="collectstatic-only"),
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
    port = free_port()
    env = production_env(tmp_path, WEB_CONCURRENCY="1", HOST="127.0.0.1", PORT=str(port))
    migrated = entrypoint("manage", "migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr
    web = subprocess.Popen(
        ["sh", str(ENTRYPOINT), "web"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def probe(http_get: dict):
        headers = {h["name"]: h["value"] for h in http_get.get("httpHeaders", [])}
        try:
            return httpx2.get(f"http://127.0.0.1:{port}{http_get['path']}", headers=headers)
        except httpx2.TransportError:
            assert web.poll() is None, web.stderr.read()
            return None

    pod = container(by_kind("Deployment")["web"])
    readiness, liveness = pod["readinessProbe"]["httpGet"], pod["livenessProbe"]["httpGet"]
    try:
        ready = wait_for(lambda: probe(readiness), timeout=60, what="the web server")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready"
        assert probe(liveness).status_code == 200
        # Without the site's host and HTTPS, production Django refuses the probe.
        assert probe({"path": readiness["path"]}).status_code != 200
        # compose's health check, as written, against this server.
        test = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["web"]
        command = [a.replace(":8000/", f":{port}/") for a in test["healthcheck"]["test"][1:]]
        checked = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
    finally:
        # The entrypoint exec'd gunicorn: the signal reaches it directly.
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
    assert web.returncode == 0
