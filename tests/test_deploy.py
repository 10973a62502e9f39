"""The production stack files: docker-compose.yml (checked by `docker compose config` where the compose plugin
exists, and always by the structural checks below, which need no Docker), the image, the instance file and
the CI script that makes the Postgres tests run."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from osa.config import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
SECRETS = {
    "OSA_DB_PASSWORD": "pw-from-env",
    "OSA_WEBHOOK_SECRET": "whsec-from-env",
    "OSA_PII_HMAC_KEY": "hmac-from-env",
    "OSA_PII_ENCRYPTION_KEYS": "k1:from-env",
    "GRAFANA_ADMIN_PASSWORD": "grafana-from-env",
}


def _compose_plugin() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0


def _interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} substitution (enough for this file)."""

    def value(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        if name in env and env[name] != "":
            return env[name]
        if op == ":?":
            raise ValueError(f"required variable {name} is missing: {arg}")
        return arg if op == ":-" else ""

    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:[-?])([^}]*))?\}", value, text)


def test_compose_file_is_valid():
    if _compose_plugin():  # the real validator, where it exists
        completed = subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
            env={**os.environ, **SECRETS},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert completed.returncode == 0, completed.stderr
        missing = subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
            env={k: v for k, v in os.environ.items() if k not in SECRETS},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert missing.returncode != 0 and "OSA_DB_PASSWORD" in missing.stderr
    # the structural checks run everywhere (this machine has the docker client but no compose plugin)
    raw = COMPOSE.read_text()
    try:
        _interpolate(raw, {})
        raise AssertionError("the stack must refuse to start without its secrets")
    except ValueError as missing_secret:
        assert "OSA_DB_PASSWORD" in str(missing_secret)
    stack = yaml.safe_load(_interpolate(raw, SECRETS))
    services = stack["services"]
    assert set(services) == {"warehouse-db", "warehouse-migrate", "dagster-webserver", "dagster-daemon", "grafana"}
    assert services["warehouse-db"]["image"].startswith("timescale/timescaledb-ha:pg15")
    migrate = services.pop("warehouse-migrate")  # the one-shot startup step: migrations + catalogue comments
    assert migrate["command"] == ["osa", "migrate"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["warehouse-db"]["condition"] == "service_healthy"
    assert migrate["environment"]["OSA_WAREHOUSE"] == "postgres"
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name
        assert service["healthcheck"]["test"], name
        assert service.get("restart") == "unless-stopped", name
    for name in ("dagster-webserver", "dagster-daemon"):
        service = services[name]
        assert service["image"] == "osa-lakehouse:latest"
        assert service["depends_on"]["warehouse-migrate"]["condition"] == "service_completed_successfully"
        env = service["environment"]
        assert env["DAGSTER_PG_HOST"] == "warehouse-db" and env["OSA_WAREHOUSE"] == "postgres"
        assert env["DAGSTER_PG_PASSWORD"] == SECRETS["OSA_DB_PASSWORD"]
        assert env["OSA_DATABASE_URL"] == f"postgresql://osa:{SECRETS['OSA_DB_PASSWORD']}@warehouse-db:5432/osa"
        assert env["OSA_ENV"] == "production"
        for variable in ("DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_DB", "DAGSTER_MAX_CONCURRENT_RUNS"):
            assert env[variable], variable  # everything dagster.prod.yaml reads
    assert services["dagster-webserver"]["command"][0] == "dagster-webserver"
    assert services["dagster-daemon"]["command"][:2] == ["dagster-daemon", "run"]
    assert set(stack["volumes"]) >= {"warehouse-data", "landing", "dagster-storage", "grafana-data"}
    for name in ("warehouse-db", "grafana"):  # bind mounts point at files in the checkout
        for mount in services[name]["volumes"]:
            source = mount.split(":")[0]
            assert source in stack["volumes"] or (PROJECT_ROOT / source).exists(), source
    grafana = services["grafana"]
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == SECRETS["GRAFANA_ADMIN_PASSWORD"]
    assert grafana["environment"]["OSA_DB_PASSWORD"] == SECRETS["OSA_DB_PASSWORD"]  # the data source's password
    assert grafana["depends_on"]["warehouse-migrate"]["condition"] == "service_completed_successfully"
    assert all(port.startswith("127.0.0.1:") for port in grafana["ports"])
    # no literal secret anywhere in the file: every password is a ${...} reference
    assert not re.search(r"(?i)(password|secret|key)s?:\s*['\"]?(?!\$\{)[A-Za-z0-9]", raw), (
        "a literal secret in docker-compose.yml"
    )


def test_image_carries_the_production_instance_and_the_code_location():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "COPY dagster.prod.yaml /opt/dagster/dagster_home/dagster.yaml" in dockerfile
    for path in ("osa", "assets", "resources", "pipelines", "sql", "workspace.yaml"):
        assert re.search(rf"^COPY {re.escape(path)}\b", dockerfile, re.M), path
    assert "\nUSER osa" in dockerfile  # not root
    init = PROJECT_ROOT / "docker" / "initdb" / "10-osa.sh"
    assert os.access(init, os.X_OK) and "CREATE EXTENSION IF NOT EXISTS vector" in init.read_text()


def test_production_instance_reads_everything_from_the_environment():
    text = (PROJECT_ROOT / "dagster.prod.yaml").read_text()
    config = yaml.safe_load(text)
    db = config["storage"]["postgres"]["postgres_db"]
    assert {k: v for k, v in db.items() if isinstance(v, dict)} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "username": {"env": "DAGSTER_PG_USER"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "db_name": {"env": "DAGSTER_PG_DB"},
        "params": {"application_name": "dagster"},
    }
    assert config["telemetry"] == {"enabled": False}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["retention"]["sensor"]["purge_after_days"]["skipped"] == 7


def test_ci_starts_the_postgres_cluster_before_pytest_and_stops_it_after():
    script = (PROJECT_ROOT / "scripts" / "test.sh").read_text()
    lines = [line.strip() for line in script.splitlines()]
    install = lines.index("bash scripts/pg-install.sh")
    start = next(i for i, line in enumerate(lines) if line.startswith('export OSA_TEST_PG_URL="$(bash scripts/pg.sh'))
    trap = next(i for i, line in enumerate(lines) if line.startswith("trap ") and "pg.sh stop" in line)
    pytest_line = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert install < start < pytest_line and trap < pytest_line
    assert Path(PROJECT_ROOT / ".ci" / "run").read_text().count("scripts/test.sh") == 1
