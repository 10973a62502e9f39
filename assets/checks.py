"""Asset checks that sit beside the assets they guard."""


import dagster as dg

from assets.partitions import window
from osa.ingest.landing import landing_files
from osa.ledger import accounting_by_day
from resources import LandingZoneResource, WarehouseResource


def _accounting_check(source: str, asset: str):
    @dg.asset_check(asset=asset, name="every_record_accounted_for", blocking=True,
                    description="For every day the run covers (every landing day when unpartitioned): lines "
                                "received = accepted + quarantined + duplicates, counted independently from "
                                "the files and the warehouse.")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
               landing: LandingZoneResource) -> dg.AssetCheckResult:
        store = warehouse.get()
        report = accounting_by_day(store, source, landing_files(landing.root, source))
        if context.has_partition_key or context.has_partition_key_range:  # only the days this run wrote
            start, end = window(context)
            report = [row for row in report if start <= row["event_date"] < end]
        bad = [row for row in report if row["unaccounted"] != 0]
        return dg.AssetCheckResult(
            passed=not bad,
            metadata={"days_checked": len(report), "days_unbalanced": len(bad),
                      "records_in": sum(r["records_in"] for r in report),
                      "unbalanced_days": ", ".join(str(r["event_date"]) for r in bad[:20]) or "none"})

    return _check


intake_accounting_check = _accounting_check("intake_forms", "bronze_intake_forms")
delivery_accounting_check = _accounting_check("opal_deliveries", "bronze_opal_deliveries")
