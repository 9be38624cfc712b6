"""The Kubernetes manifests (deploy/k8s): rendered offline like kustomize, valid against the Kubernetes
schemas (kubernetes-validate), running the commands `make run` runs, with every setting the production profile
demands, secrets only from the Secret, probes on the ports and paths the code serves, resources and non-root
pods."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from scripts import services
from tests.deploy.helpers import (
    BASE,
    DOCKER,
    IMAGE_ROOT,
    PRODUCTION,
    ROOT,
    SECRET_NAME,
    SECRET_SETTINGS,
    SUPERVISORD,
    containers,
    load_renderer,
    module_exists,
)

KUBERNETES_VERSION = "1.30"  # the oldest Kubernetes these manifests are for; the package bundles up to 1.37
render = load_renderer()
Manifest = dict[str, Any]


@pytest.fixture(scope="module", params=[BASE, PRODUCTION], ids=["base", "production"])
def rendered(request: pytest.FixtureRequest) -> list[Manifest]:
    return render.render(request.param)


@pytest.fixture(scope="module")
def production() -> list[Manifest]:
    return render.render(PRODUCTION)


def find(objects: list[Manifest], kind: str, name: str) -> Manifest:
    [found] = [m for m in objects if m["kind"] == kind and m["metadata"]["name"] == name]
    return found


def deployments(objects: list[Manifest]) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in objects if m["kind"] == "Deployment"}


def container_env(objects: list[Manifest], container: dict[str, Any]) -> dict[str, Any]:
    """Every variable a container gets: ConfigMap values (envFrom) and its own `env` (value or valueFrom)."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, f"{container['name']}: envFrom only from ConfigMaps (secrets by key)"
        env.update(find(objects, "ConfigMap", source["configMapRef"]["name"])["data"])
    for entry in container.get("env", []):
        env[entry["name"]] = entry.get("value", entry.get("valueFrom"))
    return env


# ---- rendering and the schemas ----

def test_every_object_is_valid_against_the_kubernetes_schemas(rendered: list[Manifest]) -> None:
    for manifest in rendered:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("mistake", ["misspelt field", "wrong type", "unknown kind"])
def test_the_schema_check_catches_a_mistake(production: list[Manifest], mistake: str) -> None:
    wrong = copy.deepcopy(find(production, "Deployment", "rasa"))
    if mistake == "misspelt field":
        wrong["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    elif mistake == "wrong type":
        wrong["spec"]["replicas"] = "two"
    else:
        wrong["kind"] = "Deploymnet"
    with pytest.raises((kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError)):
        kubernetes_validate.validate(wrong, KUBERNETES_VERSION, strict=True)


def test_the_overlay_makes_the_production_profile(production: list[Manifest]) -> None:
    config = find(production, "ConfigMap", "wealth-config")["data"]
    assert config["APP_ENV"] == "production" and config["DEMO_LOGIN"] == "false"
    assert config["PUBLIC_BASE_URL"].startswith("https://")
    assert all(m["metadata"].get("namespace") == "wealth" for m in production if m["kind"] != "Namespace")
    base = deployments(render.render(BASE))
    for name, deployment in deployments(production).items():
        assert deployment["spec"]["replicas"] >= base[name]["spec"]["replicas"], name
    assert find(production, "Deployment", "rasa")["spec"]["replicas"] == 3


def test_the_renderer_refuses_what_it_cannot_render(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(
        {"resources": [os.path.relpath(BASE, tmp_path)], "images": [{"name": "wealth/rasa", "newTag": "2"}]}))
    with pytest.raises(render.RenderError, match="images"):
        render.render(tmp_path)
    wrong_path = [{"op": "replace", "path": "/spec/replica", "value": 1}]
    (tmp_path / "patch.yaml").write_text(yaml.safe_dump(wrong_path))
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({
        "resources": [os.path.relpath(BASE, tmp_path)],
        "patches": [{"path": "patch.yaml", "target": {"kind": "Deployment", "name": "rasa"}}]}))
    with pytest.raises(render.RenderError, match="does not exist"):
        render.render(tmp_path)


def test_json6902_operations() -> None:
    document = {"spec": {"replicas": 1, "containers": [{"name": "a"}]}}
    patched = render.apply_json6902(document, [
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "add", "path": "/spec/containers/-", "value": {"name": "b"}},
        {"op": "remove", "path": "/spec/containers/0"},
        {"op": "add", "path": "/metadata", "value": {"name": "x~y/z"}},
        {"op": "test", "path": "/metadata/name", "value": "x~y/z"},
    ])
    assert patched == {"spec": {"replicas": 3, "containers": [{"name": "b"}]}, "metadata": {"name": "x~y/z"}}
    assert document["spec"]["replicas"] == 1


# ---- what runs ----

def make_run_commands() -> dict[str, list[str]]:
    """The command lines `make run` gives each service (scripts/services.py), moved to the image's /app and to
    the pod's address: Kubernetes isolates pods with NetworkPolicies instead of loopback."""
    rasa = services.rasa_server(5005, Path("/etc/rasa/endpoints.yml"), services.ROOT / "deploy" /
                                "credentials.production.yml", env={"RASA_AUTH_TOKEN": "$(RASA_AUTH_TOKEN)"})
    commands = {
        "rasa": rasa.command,
        "actions": [*services.action_server(5055).command, "--host", "0.0.0.0"],
        "web": services.web_app(8000, host="0.0.0.0").command,
        "sender": services.sender().command,
        "scheduler": services.scheduler().command,
    }
    return {name: [part.replace(str(services.ROOT), IMAGE_ROOT).replace("127.0.0.1", "0.0.0.0")
                   for part in command] for name, command in commands.items()}


def test_each_service_runs_the_command_make_run_runs(rendered: list[Manifest]) -> None:
    running = deployments(rendered)
    for name, command in make_run_commands().items():
        [container] = containers(running[name])
        assert container["command"] + container.get("args", []) == command, name
        assert container["workingDir"] == IMAGE_ROOT
        image = container["image"].split(":")[0].rsplit("/", 1)[1]
        assert (DOCKER / f"{image}.Dockerfile").is_file(), f"{name}: no Dockerfile for {container['image']}"


def test_the_edge_renders_the_repository_proxy_in_front_of_the_services(rendered: list[Manifest]) -> None:
    from scripts.edge import EdgeSettings, _parser, upstream_address

    [edge] = containers(find(rendered, "Deployment", "edge"))
    assert edge["command"][:4] == ["python3", "-m", "scripts.edge", "run"]
    args = _parser().parse_args(edge["command"][3:])
    given = ("action", "directory", "rasa", "web", "listen")
    options = {k: v for k, v in vars(args).items() if k not in given}
    settings = EdgeSettings(listen=args.listen, rasa_upstream=",".join(upstream_address(u) for u in args.rasa),
                            web_upstream=upstream_address(args.web), **options)
    assert settings.user is None, "a non-root nginx has no `user` directive"
    assert int(settings.listen) in [p["containerPort"] for p in edge["ports"]]
    for upstream in (*settings.rasa_upstream.split(","), settings.web_upstream):
        host, port = upstream.split(":")
        service = find(rendered, "Service", host)
        assert int(port) in [p["port"] for p in service["spec"]["ports"]], upstream
    [mount] = [m for m in edge["volumeMounts"] if m["mountPath"] == str(args.directory)]
    assert mount, "nginx's prefix must be writable"
    ingress = find(rendered, "Ingress", "wealth")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "edge"


def test_rasa_and_action_servers_scale_out_and_the_scheduler_does_not(rendered: list[Manifest]) -> None:
    running = deployments(rendered)
    assert running["rasa"]["spec"]["replicas"] >= 2
    assert running["actions"]["spec"]["replicas"] >= 2
    assert running["scheduler"]["spec"]["replicas"] == 1
    assert running["scheduler"]["spec"]["strategy"]["type"] == "Recreate"


def endpoints_of(objects: list[Manifest]) -> tuple[str, dict[str, Any]]:
    text = find(objects, "ConfigMap", "rasa-endpoints")["data"]["endpoints.yml"]
    return text, yaml.safe_load(text)


def test_rasa_shares_conversations_in_postgresql_and_locks_in_redis(rendered: list[Manifest]) -> None:
    text, endpoints = endpoints_of(rendered)
    assert endpoints["lock_store"]["type"] == "redis"
    assert endpoints["tracker_store"]["type"].lower() == "sql"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    # the action endpoint is the actions Service, on its port
    url = endpoints["action_endpoint"]["url"]
    host, port = re.fullmatch(r"http://([a-z-]+):(\d+)/webhook", url).groups()  # type: ignore[union-attr]
    assert int(port) in [p["port"] for p in find(rendered, "Service", host)["spec"]["ports"]]
    # the file is mounted where the command reads it, and every ${VAR} in it is in Rasa's environment
    deployment = find(rendered, "Deployment", "rasa")
    [rasa] = containers(deployment)
    path = Path(rasa["command"][rasa["command"].index("--endpoints") + 1])
    [volume] = [v for v in deployment["spec"]["template"]["spec"]["volumes"]
                if v.get("configMap", {}).get("name") == "rasa-endpoints"]
    assert {"name": volume["name"], "mountPath": str(path.parent), "readOnly": True} in rasa["volumeMounts"]
    env = container_env(rendered, rasa)
    missing = set(re.findall(r"\$\{(\w+)\}", text)) - set(env)
    assert not missing, f"endpoints.yml reads {sorted(missing)}, which the rasa container does not get"


@pytest.mark.parametrize("endpoints_file", ["k8s", "supervisord"])
def test_rasa_reads_the_endpoints_as_redis_lock_store_and_postgresql_tracker_store(
        production: list[Manifest], endpoints_file: str, tmp_path: Path) -> None:
    """Rasa's own reader (in .venv-rasa) expands the variables into a RedisLockStore and a PostgreSQL URL."""
    if endpoints_file == "k8s":
        path = tmp_path / "endpoints.yml"
        path.write_text(endpoints_of(production)[0], encoding="utf-8")
    else:
        path = SUPERVISORD / "endpoints.yml"
    script = (
        "import json, sys\n"
        "from rasa.core.utils import AvailableEndpoints\n"
        "from rasa.core.lock_store import LockStore\n"
        "from rasa.core.tracker_store import SQLTrackerStore\n"
        "e = AvailableEndpoints.read_endpoints(sys.argv[1])\n"
        "t = e.tracker_store\n"
        "kw = {k: v for k, v in t.kwargs.items() if k in ('dialect', 'port', 'db', 'username', 'password')}\n"
        "print(json.dumps({'lock': type(LockStore.create(e.lock_store)).__name__, 'tracker': t.type,\n"
        "                  'db': str(SQLTrackerStore.get_db_url(host=t.url, **kw)), 'action': e.action.url,\n"
        "                  'auth': e.action.headers['Authorization']}))\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "RASA_TELEMETRY_ENABLED": "false",
           "ACTION_SERVER_TOKEN": "t0ken",
           "ACTION_SERVER_URL": "http://127.0.0.1:5055/webhook", "TRACKER_DB_HOST": "db.internal",
           "TRACKER_DB_PORT": "5432", "TRACKER_DB_NAME": "rasa_tracker", "TRACKER_DB_USER": "rasa",
           "TRACKER_DB_PASSWORD": "pw", "REDIS_HOST": "redis.internal", "REDIS_PORT": "6379",
           "REDIS_PASSWORD": "rp"}
    result = subprocess.run([str(services.VENV_RASA / "bin" / "python"), "-c", script, str(path)], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    read = json.loads(result.stdout.strip().splitlines()[-1])
    assert read["lock"] == "RedisLockStore"
    assert read["tracker"].lower() == "sql"
    assert read["db"] == "postgresql://rasa:pw@db.internal:5432/rasa_tracker"
    assert read["auth"] == "Bearer t0ken"
    assert read["action"].endswith(":5055/webhook")


# ---- settings and secrets ----

def stand_in(name: str) -> str:
    """A well-formed value for a secret the manifests take from the Secret (the real one: the operator's)."""
    if name == "DATABASE_URL":
        return "postgresql+psycopg://wealth:password@postgresql:5432/wealth"
    if name == "REDIS_URL":
        return "redis://:password@redis:6379/0"
    return "k" * (43 if name.endswith("AES_KEY") else 48)


def resolved_env(objects: list[Manifest], container: dict[str, Any]) -> dict[str, str]:
    env = {}
    for name, value in container_env(objects, container).items():
        if isinstance(value, dict):
            assert set(value) == {"secretKeyRef"}, f"{name}: only secretKeyRef"
            env[name] = stand_in(value["secretKeyRef"]["key"])
        else:
            env[name] = value
    return env


def production_problems(env: dict[str, str], web: bool, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the code's own production check (services/settings.py, web/settings.py) says of exactly `env`."""
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if web:
        from web.settings import Settings
    else:
        from services.settings import Settings
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.production
    return settings.production_problems()


@pytest.mark.parametrize("name", ["web", "actions", "sender", "scheduler"])
def test_every_setting_the_production_profile_demands_is_provided(
        production: list[Manifest], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    [container] = containers(find(production, "Deployment", name))
    env = resolved_env(production, container)
    assert production_problems(env, name == "web", monkeypatch) == []


@pytest.mark.parametrize("dropped", ["SESSION_SECRET", "WECOM_AES_KEY", "DEMO_LOGIN", "DATABASE_URL"])
def test_the_settings_check_notices_a_missing_setting(
        production: list[Manifest], dropped: str, monkeypatch: pytest.MonkeyPatch) -> None:
    [container] = containers(find(production, "Deployment", "web"))
    env = resolved_env(production, container)
    del env[dropped]
    assert any(dropped in problem for problem in production_problems(env, True, monkeypatch))


def test_rasa_gets_what_its_channels_and_endpoints_read(production: list[Manifest]) -> None:
    from wecom.settings import WeComSettings

    # bot/ runs in the Rasa environment only: read the web channel's variable from its source
    source = (ROOT / "bot" / "channels" / "web.py").read_text(encoding="utf-8")
    [secret_variable] = re.findall(r'^SECRET_VARIABLE = "(\w+)"$', source, re.M)

    [rasa] = containers(find(production, "Deployment", "rasa"))
    env = resolved_env(production, rasa)
    settings = WeComSettings.from_env("app", env)
    assert settings is not None and settings.database_url.startswith("postgresql")
    assert WeComSettings.from_env("kf", env) is not None
    for name in (secret_variable, "ACTION_SERVER_TOKEN", "RASA_AUTH_TOKEN", "REDIS_URL"):
        assert name in env, name
    token = re.fullmatch(r"--auth-token=\$\((\w+)\)", rasa["command"][rasa["command"].index("run") + 2])
    assert token and token.group(1) in env, "Rasa's API token comes from the container's environment"


def walk_strings(node: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [hit for key, value in node.items() for hit in walk_strings(value, f"{path}/{key}")]
    if isinstance(node, list):
        return [hit for i, value in enumerate(node) for hit in walk_strings(value, f"{path}/{i}")]
    return [(path, node)] if isinstance(node, str) else []


def test_no_manifest_holds_a_secret(rendered: list[Manifest]) -> None:
    secrets = [m for m in rendered if m["kind"] == "Secret"]
    assert not secrets, "the Secret is made out of band, never committed"
    for manifest in rendered:
        where = f"{manifest['kind']}/{manifest['metadata']['name']}"
        if manifest["kind"] == "ConfigMap":
            secret_keys = sorted(k for k in manifest["data"] if k in SECRET_SETTINGS)
            assert not secret_keys, f"{where}: secrets in a ConfigMap: {secret_keys}"
        for path, text in walk_strings(manifest):
            assert not re.search(r"://[^/\s:@]+:[^/\s@$]+@", text), f"{where}{path}: a password in a URL"
            in_url = re.search(r"(?i)[?&](token|secret|password)=", text)
            assert not in_url, f"{where}{path}: a secret in a URL"
        for container in containers(manifest):
            for entry in container.get("env", []):
                if entry["name"] in SECRET_SETTINGS or SECRET_NAME.search(entry["name"]):
                    ref = entry.get("valueFrom", {}).get("secretKeyRef")
                    assert ref and "value" not in entry, f"{where}: {entry['name']} must come from the Secret"
                    assert ref["name"] == "wealth-secrets" and ref["key"] == entry["name"], entry
            for source in container.get("envFrom", []):
                assert "secretRef" not in source, f"{where}: secrets by key (secretKeyRef), not all of them"


# ---- probes, ports, resources, users ----

def served_paths() -> dict[str, set[str]]:
    """The health paths each service really serves without a secret."""
    from scripts.action_server import OPEN_PATHS
    from web.routers.health import router

    template = (ROOT / "deploy" / "nginx" / "edge.conf.template").read_text(encoding="utf-8")
    web = {route.path for route in router.routes}  # type: ignore[attr-defined]
    return {
        "rasa": {"/"},  # Rasa's greeting; /status needs the API token
        "actions": set(OPEN_PATHS),
        "web": web,
        "edge": set(re.findall(r"location = (/health)\s", template)) & web,
    }


def serving_ports(container: dict[str, Any]) -> list[dict[str, Any]]:
    """A container's ports but a worker's metrics port (a worker is probed by its own command)."""
    return [p for p in container.get("ports", []) if p["name"] != "metrics"]


def test_probes_ask_the_real_health_endpoints_on_declared_ports(rendered: list[Manifest]) -> None:
    paths = served_paths()
    for name, deployment in deployments(rendered).items():
        for container in containers(deployment):
            ports = {p["name"] for p in container.get("ports", [])} | {
                p["containerPort"] for p in container.get("ports", [])}
            for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
                probe = container.get(kind)
                if probe is None:
                    assert kind == "startupProbe", f"{name}: no {kind}"
                    continue
                if "httpGet" in probe:
                    assert probe["httpGet"]["port"] in ports, f"{name} {kind}: port not declared"
                    path = probe["httpGet"]["path"]
                    assert path in paths[name], f"{name} {kind}: {path} is not served"
                elif "tcpSocket" in probe:
                    assert probe["tcpSocket"]["port"] in ports, f"{name} {kind}: port not declared"
                else:
                    command = probe["exec"]["command"]
                    assert command[0] == f"{IMAGE_ROOT}/.venv/bin/python" and command[1] == "-m", command
                    assert module_exists(command[2]), f"{name} {kind}: no module {command[2]}"
                    assert not serving_ports(container), f"{name}: a server is probed over HTTP, not exec"
            if serving_ports(container):
                assert "httpGet" in container["readinessProbe"], f"{name}: readiness must ask the service"


def test_services_and_network_policies_reach_declared_ports(rendered: list[Manifest]) -> None:
    running = deployments(rendered)
    pods = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in running.items()}

    def selected(selector: dict[str, str]) -> list[str]:
        return [name for name, labels in pods.items() if selector.items() <= labels.items()]

    for service in (m for m in rendered if m["kind"] == "Service"):
        [target] = selected(service["spec"]["selector"])
        declared = {(p["name"], p["containerPort"]) for c in containers(running[target]) for p in c["ports"]}
        for port in service["spec"]["ports"]:
            reached = any(port["targetPort"] in pair for pair in declared)
            assert reached, f"Service {service['metadata']['name']}"
    for policy in (m for m in rendered if m["kind"] == "NetworkPolicy" and m["spec"]["podSelector"]):
        targets = selected(policy["spec"]["podSelector"]["matchLabels"])
        assert targets, policy["metadata"]["name"]
        declared_numbers = {p["containerPort"] for t in targets for c in containers(running[t])
                            for p in c.get("ports", [])}
        for rule in policy["spec"]["ingress"]:
            assert {p["port"] for p in rule["ports"]} <= declared_numbers, policy["metadata"]["name"]
            for peer in rule.get("from", []):
                if "namespaceSelector" in peer:  # only the monitoring namespace, for the metrics
                    assert peer["namespaceSelector"] == {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}, policy["metadata"]["name"]
                else:
                    assert selected(peer["podSelector"]["matchLabels"]), policy["metadata"]["name"]


def test_every_service_is_scraped_on_its_metrics_port_and_path(rendered: list[Manifest]) -> None:
    """Each deployment but the edge says where its /metrics is; the port is declared and admitted from the
    monitoring namespace, the path is the one the service serves, and the workers serve on the ports and the
    address the ConfigMap gives them."""
    [monitoring] = [m for m in rendered if m["kind"] == "NetworkPolicy"
                    and m["metadata"]["name"] == "metrics-from-monitoring"]
    admitted = {p["port"] for rule in monitoring["spec"]["ingress"] for p in rule["ports"]}
    paths = {"rasa": "/webhooks/wecom/metrics", "actions": "/metrics", "web": "/metrics", "sender": "/metrics",
             "scheduler": "/metrics"}
    for name, deployment in deployments(rendered).items():
        annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
        if name == "edge":
            continue
        assert annotations.get("prometheus.io/scrape") == "true", name
        port = int(annotations["prometheus.io/port"])
        [container] = containers(deployment)
        assert port in {p["containerPort"] for p in container["ports"]} and port in admitted, name
        assert annotations["prometheus.io/path"] == paths[name], name
        env = container_env(rendered, container)
        if name in ("sender", "scheduler"):
            assert int(env[f"{'OUTBOX' if name == 'sender' else 'SCHEDULER'}_METRICS_PORT"]) == port, name
            assert env["METRICS_HOST"] == "0.0.0.0", name
    from web.routers.metrics import router

    assert "/metrics" in {route.path for route in router.routes}  # type: ignore[attr-defined]


QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(m|Mi|Gi)?")


def quantity(text: str | int) -> float:
    number, unit = QUANTITY.fullmatch(str(text)).groups()  # type: ignore[union-attr]
    return float(number) * {None: 1, "m": 0.001, "Mi": 2**20, "Gi": 2**30}[unit]


def test_every_container_has_resources_and_runs_as_a_user(rendered: list[Manifest]) -> None:
    for manifest in rendered:
        pod = manifest["spec"]["template"]["spec"] if containers(manifest) else None
        for container in containers(manifest):
            where = f"{manifest['kind']}/{manifest['metadata']['name']}/{container['name']}"
            resources = container["resources"]
            for what in ("cpu", "memory"):
                request, limit = quantity(resources["requests"][what]), quantity(resources["limits"][what])
                assert 0 < request <= limit, f"{where}: {what} request {request} over limit {limit}"
            assert pod is not None and pod["securityContext"]["runAsNonRoot"] is True, where
            assert pod["securityContext"]["runAsUser"] == 10001, where
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], where
            assert pod["automountServiceAccountToken"] is False, where
    [rasa] = containers(find(rendered, "Deployment", "rasa"))
    assert quantity(rasa["resources"]["requests"]["memory"]) >= 1.5 * 2**30, "Rasa needs about 1.5 GB"
