"""Gold assets: one per gold table of the catalogue, computed from the silver window it covers.

Adding a gold metric is a catalogue entry plus its query in `osa.gold.GOLD_QUERIES`: the asset, its
schema, checks, per-partition figures and docs are derived here and in `assets.checks`.
"""

import datetime as dt

import dagster as dg

from assets.metadata import daily_metadata, report_partitions
from assets.partitions import DAILY, SINGLE_RUN, window
from assets.specs import asset_spec
from osa import catalog, gold
from osa.catalog import Table
from osa.privacy import protect_rows, write_protected
from resources import PrivacyResource, WarehouseResource

# Gold tables are expected each morning: the nightly run (01:00 UTC) refreshes yesterday by 04:00 UTC.
GOLD_FRESHNESS = dg.FreshnessPolicy.cron(deadline_cron="0 4 * * *", lower_bound_delta=dt.timedelta(hours=24))


def _gold_asset(table: Table) -> dg.AssetsDefinition:
    spec = asset_spec(table, gold.compute).replace_attributes(freshness_policy=GOLD_FRESHNESS)

    @dg.multi_asset(specs=[spec], name=table.name, partitions_def=DAILY, backfill_policy=SINGLE_RUN)
    def _asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, privacy: PrivacyResource
    ) -> dg.MaterializeResult:
        start, end = window(context)
        store = warehouse.get()
        inputs = {
            source: store.query(f"SELECT * FROM {source} WHERE event_date >= ? AND event_date < ?", [start, end])
            for source in table.depends_on
        }
        rows = gold.compute(table.name, **inputs)
        write_protected(store, [protect_rows(table.name, rows, privacy.protector())], start, end, audit_source=None)
        report_partitions(context, table.name, start, end, daily_metadata(table, rows, preview=True))
        return dg.MaterializeResult(asset_key=table.name)

    return _asset


GOLD_ASSETS = [_gold_asset(table) for table in catalog.tables(layer="gold")]
