"""The production stack (issue 7, SPEC §11): docker-compose.yml, the Dockerfile and .env.example
agree with each other and with the code, and what the image runs works.

docker-compose (Debian's 1.29 in CI) parses the compose file; no Docker engine is needed. Without
it these tests skip, except under CI (`CI` set), where a missing tool is a failure. The marked
integration tests run the image's own commands from this checkout: the collectstatic of the build,
gunicorn with WhiteNoise behind the image's health check, and the compose worker and beat behind
theirs.
"""

import importlib.metadata
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from pathlib import Path, PurePosixPath

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.worker import database_url, stop

ROOT = Path(settings.BASE_DIR)
APP_SERVICES = ("web", "worker", "beat")
STACK = ("web", "worker", "beat", "db", "redis")
PUBLIC_HOST = "healthpm.test"


def require(condition: bool, reason: str) -> None:
    """Skip on a developer machine without the tool; fail in CI, which promises to have it."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure)")
    pytest.skip(reason)


# --- docker-compose -------------------------------------------------------------------------
def docker_compose() -> str:
    path = shutil.which("docker-compose")
    require(path is not None, "docker-compose is not installed")
    return path


def run_compose(*args: str, env_file: Path | None = None) -> subprocess.CompletedProcess:
    """docker-compose in this checkout with a bare environment, so the caller's shell cannot leak in."""
    options = ["--env-file", str(env_file)] if env_file else []
    return subprocess.run(
        [docker_compose(), *options, "-f", str(ROOT / "docker-compose.yml"), *args],
        cwd=ROOT, env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=120,
    )


def compose_config(env_file: Path) -> dict:
    """The file as compose resolves it (anchors merged, variables from env_file interpolated).

    Read as YAML by the Python that runs docker-compose (it depends on PyYAML; the project does not).
    """
    result = run_compose("config", env_file=env_file)
    assert result.returncode == 0, result.stderr
    shebang = Path(docker_compose()).read_text(errors="replace").splitlines()[0]
    interpreter = shebang[2:].strip() if shebang.startswith("#!") else ""
    to_json = subprocess.run(
        [*shlex.split(interpreter), "-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
        input=result.stdout, capture_output=True, text=True, timeout=60,
    ) if interpreter else None
    require(to_json is not None and to_json.returncode == 0, "docker-compose's Python cannot read YAML")
    return json.loads(to_json.stdout)


@pytest.fixture(scope="module")
def no_env_file(tmp_path_factory) -> Path:
    empty = tmp_path_factory.mktemp("compose") / "empty.env"
    empty.write_text("")
    return empty


@pytest.fixture(scope="module")
def compose(no_env_file) -> dict:
    """Resolved with nothing configured: what a clean checkout gives."""
    return compose_config(no_env_file)


def unescape(command: str) -> str:
    """Compose writes `$$` for a literal `$` (a variable the container's shell expands)."""
    return command.replace("$$", "$")


def volume_targets(service: dict) -> dict[str, tuple[str, str]]:
    """{container path: (source, mode)} from compose's `source:target:mode` strings."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, mode = volume.split(":")
        mounts[target] = (source, mode)
    return mounts


# --- Dockerfile -----------------------------------------------------------------------------
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        pending += " " + stripped.rstrip("\\").strip() if pending else stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            keyword, _, arguments = pending.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


def instruction(keyword: str) -> list[str]:
    return [arguments for kw, arguments in dockerfile() if kw == keyword]


def image_command() -> list[str]:
    return json.loads(instruction("CMD")[-1])


def image_healthcheck() -> list[str]:
    _, _, command = instruction("HEALTHCHECK")[-1].partition("CMD ")
    return json.loads(command)


def image_env() -> dict[str, str]:
    env = {}
    for arguments in instruction("ENV"):
        for pair in shlex.split(arguments):
            name, _, value = pair.partition("=")
            env[name] = value
    return env


def collectstatic_step() -> str:
    [step] = [arguments for arguments in instruction("RUN") if "collectstatic" in arguments]
    return step


# --- the compose file -----------------------------------------------------------------------
def test_compose_file_passes_the_ci_check_on_a_clean_checkout(no_env_file):
    """CI runs plain `docker-compose config -q`: it must pass with no .env and no secret set."""
    plain = run_compose("config", "-q", env_file=no_env_file if (ROOT / ".env").exists() else None)
    assert plain.returncode == 0 and plain.stdout == "", plain.stderr

    with_example = run_compose("config", "-q", env_file=ROOT / ".env.example")
    assert with_example.returncode == 0 and with_example.stdout == "", with_example.stderr


def test_compose_runs_the_five_services_each_with_a_health_check(compose):
    services = compose["services"]
    assert set(STACK) <= set(services)
    for name in STACK:
        check = services[name].get("healthcheck", {})
        assert check.get("test") and check["test"][0] in {"CMD", "CMD-SHELL"}, f"{name} has no health check"
        assert not check.get("disable"), name

    assert "command" not in services["web"] and image_command()[0] == "gunicorn"
    # The web check is the image's own HEALTHCHECK, so `docker run` and compose agree.
    assert services["web"]["healthcheck"]["test"] == ["CMD", *image_healthcheck()]

    for role, node in (("worker", "celery@%h"), ("beat", "celerybeat@%h")):
        command = shlex.split(services[role]["command"])
        assert command[:4] == ["celery", "-A", "healthpm", role] and f"--hostname={node}" in command
        check = unescape(services[role]["healthcheck"]["test"][1])
        assert "inspect ping" in check and node.replace("%h", "$HOSTNAME") in check
    assert "--enable-remote-control" in services["beat"]["command"]
    assert services["db"]["healthcheck"]["test"][1].startswith("pg_isready")
    assert services["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]


def test_migrations_run_once_before_web_worker_and_beat(compose):
    services = compose["services"]
    assert shlex.split(services["migrate"]["command"]) == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy", name
    assert "migrate" not in " ".join(image_command())


def test_evidence_dossiers_and_the_signing_certificate_live_outside_the_containers(compose):
    services = compose["services"]
    assert {"pgdata", "redisdata", "evidence", "dossiers", "audit-checkpoints"} <= set(compose["volumes"])
    for name in APP_SERVICES:
        env = services[name]["environment"]
        mounts = volume_targets(services[name])
        media = PurePosixPath(env["MEDIA_ROOT"])
        # Evidence and dossiers are stored under these prefixes of the default storage.
        assert mounts[str(media / "evidence")][0] == "evidence", name
        assert mounts[str(media / "dossiers")][0] == "dossiers", name
        # Audit checkpoints (anchors of the trail): their own volume, not under media.
        checkpoints = PurePosixPath(env["HEALTHPM_AUDIT_CHECKPOINT_DIR"])
        assert mounts[str(checkpoints)][0] == "audit-checkpoints" and media not in checkpoints.parents, name
        secrets_dir = PurePosixPath(env["HEALTHPM_SIGNING_P12"]).parent
        assert PurePosixPath(env["HEALTHPM_SIGNING_PASSPHRASE_FILE"]).parent == secrets_dir
        assert mounts[str(secrets_dir)] == (str(ROOT / "secrets"), "ro"), name
    assert volume_targets(services["db"])["/var/lib/postgresql/data"][0] == "pgdata"
    assert volume_targets(services["redis"])["/data"][0] == "redisdata"
    # Only the web is published, on loopback unless WEB_PORT says otherwise.
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000/tcp"]
    assert not services["db"].get("ports") and not services["redis"].get("ports")
    # The signing tool only runs when asked for.
    assert services["signing-cert"]["profiles"] == ["tools"]


def test_no_secret_has_a_default(compose):
    services = compose["services"]
    for name in (*APP_SERVICES, "migrate"):
        env = services[name]["environment"]
        assert env["SECRET_KEY"] is None, name
        assert env["DEBUG"] == "false" and env["DATABASE_URL"].startswith("postgres://healthpm:@db:"), name
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == ""
    assert "SECRET_KEY" not in image_env()


def test_every_setting_is_documented_in_env_example():
    """Each variable healthpm/settings.py reads has a line `NAME=…` (set or commented out)."""
    source = (ROOT / "healthpm" / "settings.py").read_text()
    read = set(re.findall(r"(?:env_str|env_bool|env_int|env_list|os\.environ\.get)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "HEALTHPM_SIGNING_P12"} <= read  # the pattern works
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))

    assert sorted(read - documented) == []
    # Announced with issue 6; documented whether or not settings.py already reads them.
    assert {"HEALTHPM_IDLE_LOGOUT_SECONDS", "AXES_FAILURE_LIMIT", "AXES_COOLOFF_MINUTES"} <= documented


def test_every_value_set_in_env_example_reaches_the_containers():
    """A line left active in .env.example is either interpolated by compose or passed to the app
    unchanged; nothing set there is silently ignored."""
    compose_text = (ROOT / "docker-compose.yml").read_text()
    web_env = compose_config(ROOT / ".env.example")["services"]["web"]["environment"]
    active = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (ROOT / ".env.example").read_text(), re.MULTILINE)
    assert len(active) > 10

    for name, value in active:
        assert "${" + name in compose_text or web_env.get(name) == value, f"{name} from .env is not used"


def test_compose_passes_through_only_documented_variables(compose):
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    for name in APP_SERVICES:
        passed = {key for key, value in compose["services"][name]["environment"].items() if value is None}
        assert passed and sorted(passed - documented) == [], name
        # An unset pass-through variable would unset the image's own value.
        assert not passed & set(image_env()), name


# --- the image ------------------------------------------------------------------------------
def test_image_runs_unprivileged_and_copies_only_what_exists():
    users = instruction("USER")
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    for arguments in instruction("COPY"):
        *sources, _target = shlex.split(arguments)
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such path"
    assert instruction("FROM") == ["python:3.11-slim-bookworm"]


def test_image_installs_the_runtime_dependencies_at_the_locked_versions():
    """The image installs pyproject's dependencies constrained by requirements.lock: every package
    that pulls in (by the metadata of the tested virtualenv) must be pinned there."""
    [install] = [arguments for arguments in instruction("RUN") if "pip install" in arguments]
    assert "-c requirements.lock" in install or "-r requirements.lock" in install
    locked = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            locked[canonicalize_name(name)] = version.strip()

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    todo = [Requirement(spec) for spec in pyproject["project"]["dependencies"]]
    needed = set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} would be installed unpinned"
        assert locked[name] in requirement.specifier or not requirement.specifier, requirement
        key = (name, frozenset(requirement.extras))
        if key in needed:
            continue
        needed.add(key)
        for spec in importlib.metadata.requires(requirement.name) or []:
            dependency = Requirement(spec)
            extras = [""] + sorted(requirement.extras)
            if dependency.marker is None or any(dependency.marker.evaluate({"extra": e}) for e in extras):
                todo.append(dependency)
    assert {"django", "gunicorn", "whitenoise", "celery", "redis", "weasyprint", "pyhanko"} <= {n for n, _ in needed}
    assert not {"pytest", "playwright", "hypothesis"} & {n for n, _ in needed}


def test_secrets_never_enter_the_image_or_the_repository():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "secrets", "*.p12", ".git", "var"} <= set(ignored)
    # The checkout's secrets folder exists (so Docker does not create it as root) and keeps its
    # contents out of git.
    assert (ROOT / "secrets" / ".gitignore").read_text().split()[-2:] == ["*", "!.gitignore"]
    step = collectstatic_step()
    assert "SECRET_KEY=" in step and "DEBUG=false" in step  # a throwaway key for this one command


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() != 0, reason="the tool hands its files to uid 1000: needs root")
def test_signing_cert_tool_creates_a_certificate_once_and_refuses_a_lone_certificate(tmp_path, compose):
    """`docker-compose run --rm signing-cert`, with ./secrets at tmp_path: a passphrase and a
    certificate only the app's uid can read; a second run keeps them; a certificate without its
    passphrase is refused rather than paired with a new random one."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    tool = compose["services"]["signing-cert"]
    kind, flag, script = tool["command"]
    assert (kind, flag, tool["user"]) == ("sh", "-c", "root")
    assert volume_targets(tool)["/run/secrets"] == (str(ROOT / "secrets"), "rw")
    p12, passphrase = tmp_path / "signing.p12", tmp_path / "signing_passphrase.txt"
    env = production_env(tmp_path, HEALTHPM_SIGNING_P12=str(p12), HEALTHPM_SIGNING_PASSPHRASE_FILE=str(passphrase),
                         DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    def run_tool() -> subprocess.CompletedProcess:
        return subprocess.run(["sh", "-c", unescape(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)

    first = run_tool()
    assert first.returncode == 0, first.stderr
    created = p12.read_bytes()
    pkcs12.load_key_and_certificates(created, passphrase.read_text().strip().encode())
    for path in (p12, passphrase):
        assert (path.stat().st_uid, path.stat().st_mode & 0o777) == (1000, 0o600)

    again = run_tool()
    assert again.returncode == 0 and p12.read_bytes() == created, again.stderr

    passphrase.unlink()
    lone = run_tool()
    assert lone.returncode != 0 and "put its passphrase in" in lone.stderr and not passphrase.exists()


# --- what the image runs ----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The container's environment, from scratch: the image's ENV, compose's fixed values, .env's."""
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        **image_env(),
        "STATIC_ROOT": str(tmp_path / "staticfiles"),
        "HEALTHPM_VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DEBUG": "false",
        "SECRET_KEY": "deploy-test-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": PUBLIC_HOST,
        "SITE_URL": f"https://{PUBLIC_HOST}",
        "DATABASE_URL": database_url(),
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
    }
    if os.environ.get("CELERY_BROKER_URL"):
        env["CELERY_BROKER_URL"] = os.environ["CELERY_BROKER_URL"]
    env.update(extra)
    return env


def fetch(port: int, path: str, **headers: str):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", **headers})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        return urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as response:
        return response


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_production_web_serves_hashed_static_files_and_passes_its_health_check(tmp_path):
    port = free_port()
    env = production_env(tmp_path, PORT=str(port), GUNICORN_CMD_ARGS=f"--bind 127.0.0.1:{port}")
    build = subprocess.run(["sh", "-c", collectstatic_step()], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert build.returncode == 0, build.stderr
    manifest = json.loads((tmp_path / "staticfiles" / "staticfiles.json").read_text())["paths"]
    hashed_css = manifest["css/healthpm.css"]
    assert hashed_css != "css/healthpm.css"

    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(image_command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        healthcheck = None
        for _ in range(60):
            healthcheck = subprocess.run(image_healthcheck(), cwd=ROOT, env=env, capture_output=True, timeout=30)
            if healthcheck.returncode == 0 or server.poll() is not None:
                break
            time.sleep(0.5)
        assert healthcheck.returncode == 0, log_path.read_text() + healthcheck.stderr.decode()

        health = fetch(port, "/healthz")
        assert health.status == 200
        body = json.loads(health.read())
        assert body["database"] == "ok"
        assert body["broker"] == "ok" if env.get("CELERY_BROKER_URL") else body["broker"].startswith("not configured")
        # Production mode: plain HTTP is sent to HTTPS, an unknown host is refused.
        assert fetch(port, "/healthz", **{"X-Forwarded-Proto": "http"}).status == 301
        assert fetch(port, "/healthz", Host="elsewhere.test").status == 400

        # Pages link the hashed names, which WhiteNoise serves compressed and cacheable for ever.
        login = fetch(port, "/accounts/login/")
        assert login.status == 200 and f"/static/{hashed_css}" in login.read().decode()
        css = fetch(port, f"/static/{hashed_css}", **{"Accept-Encoding": "br, gzip"})
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
        assert css.headers["Content-Encoding"] in {"br", "gzip"}
        assert "max-age=315360000" in css.headers["Cache-Control"] and "immutable" in css.headers["Cache-Control"]
        assert fetch(port, "/static/css/no-such-file.css").status == 404
    finally:
        stop(server)


@pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="CELERY_BROKER_URL not set: no broker to ping through")
@pytest.mark.integration
def test_compose_worker_and_beat_pass_their_health_checks(tmp_path, compose):
    """The worker and beat, started with compose's commands, answer compose's health checks."""
    services = compose["services"]
    node = f"hp-deploy-{uuid.uuid4().hex[:8]}"  # stands in for the container's hostname
    env = production_env(tmp_path, HOSTNAME=node, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    schedule = str(tmp_path / "celerybeat-schedule")

    def command(role: str) -> list[str]:
        return [part.replace("%h", node).replace("/tmp/celerybeat-schedule", schedule)
                for part in shlex.split(services[role]["command"])]

    def check(role: str, timeout: str | None = None) -> subprocess.CompletedProcess:
        kind, script = services[role]["healthcheck"]["test"]
        assert kind == "CMD-SHELL"
        script = unescape(script)
        if timeout:
            script = re.sub(r"--timeout \d+", f"--timeout {timeout}", script)
        return subprocess.run(["sh", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    # Nothing answers yet, so the checks can fail.
    assert check("worker", timeout="1").returncode != 0

    processes, logs = {}, {}
    try:
        for role in ("worker", "beat"):
            logs[role] = tmp_path / f"{role}.log"
            with open(logs[role], "wb") as log:
                processes[role] = subprocess.Popen(command(role), cwd=ROOT, env=env, stdout=log,
                                                   stderr=subprocess.STDOUT)
        # Like the checks' start_period: wait until each has connected, then ask once.
        ready = {"worker": "ready.", "beat": "beat pidbox: Connected"}
        for role in ("worker", "beat"):
            deadline = time.monotonic() + 60
            while ready[role] not in logs[role].read_text() and processes[role].poll() is None:
                assert time.monotonic() < deadline, logs[role].read_text()
                time.sleep(0.2)
            result = check(role)
            assert result.returncode == 0, logs[role].read_text() + result.stdout + result.stderr
            assert f"{'celery' if role == 'worker' else 'celerybeat'}@{node}: OK" in result.stdout
    finally:
        for process in processes.values():
            stop(process)
