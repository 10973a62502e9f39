"""The Grafana provisioning: generated from the charts, consistent with its data source, and every panel's SQL
answers with data on a real Postgres warehouse built from the generated landing set."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from osa.metrics import grafana
from osa.metrics.charts import CHARTS
from tests.backends import open_warehouse
from tests.test_metrics import run

PROVISIONING = grafana.DASHBOARD_PATH.parents[1] / "provisioning"


def test_the_committed_dashboard_is_generated_from_the_charts():
    assert grafana.DASHBOARD_PATH.read_text() == grafana.render(), "run: python -m osa.metrics.grafana"
    panels = json.loads(grafana.DASHBOARD_PATH.read_text())["panels"]
    assert [p["title"] for p in panels] == [c.title for c in CHARTS]


def test_every_panel_uses_the_provisioned_data_source():
    sources = yaml.safe_load((PROVISIONING / "datasources" / "warehouse.yml").read_text())["datasources"]
    uid = {s["uid"]: s for s in sources}
    assert set(uid) == {grafana.DATASOURCE["uid"]}
    assert uid[grafana.DATASOURCE["uid"]]["type"] == grafana.DATASOURCE["type"]
    assert uid[grafana.DATASOURCE["uid"]]["secureJsonData"]["password"] == "$OSA_DB_PASSWORD"  # never a literal
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "osa.yml").read_text())["providers"][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    for panel in json.loads(grafana.DASHBOARD_PATH.read_text())["panels"]:
        assert panel["datasource"] == grafana.DATASOURCE
        assert all(t["datasource"] == grafana.DATASOURCE for t in panel["targets"])


@pytest.fixture(scope="module")
def postgres_warehouse(tmp_path_factory, _small_landing_master, pg_server):
    root = tmp_path_factory.mktemp("grafana")
    landing = shutil.copytree(_small_landing_master, root / "landing")
    url = pg_server.create_database(with_schema=False)
    run(url, landing)
    yield url
    pg_server.drop_database(url)


def test_every_panel_query_answers_with_data_on_postgres(postgres_warehouse):
    store = open_warehouse(postgres_warehouse)
    for panel in json.loads(grafana.DASHBOARD_PATH.read_text())["panels"]:
        for target in panel["targets"]:
            result = store.query(target["rawSql"])
            assert result.num_rows > 0, panel["title"]
            if target["format"] == "time_series":  # Grafana's long format: time, metric, value
                assert result.column_names == ["time", "metric", "value"], panel["title"]
                assert result.column("time").null_count == 0
