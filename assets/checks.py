"""Asset checks that sit beside the assets they guard."""


import dagster as dg

from osa.ingest.landing import days_with_data, landing_files
from osa.ledger import accounting_by_day
from resources import LandingZoneResource, WarehouseResource


def _accounting_check(source: str, asset: str):
    @dg.asset_check(asset=asset, name="every_record_accounted_for", blocking=True,
                    description="For every day in the landing zone: lines received = accepted + quarantined "
                                "+ duplicates, counted independently from the files and the warehouse.")
    def _check(warehouse: WarehouseResource, landing: LandingZoneResource) -> dg.AssetCheckResult:
        store = warehouse.get()
        days = days_with_data(landing.root)
        report = accounting_by_day(store, source, landing_files(landing.root, source, days))
        bad = [row for row in report if row["unaccounted"] != 0]
        return dg.AssetCheckResult(
            passed=not bad,
            metadata={"days_checked": len(report), "days_unbalanced": len(bad),
                      "records_in": sum(r["records_in"] for r in report),
                      "unbalanced_days": ", ".join(str(r["event_date"]) for r in bad[:20]) or "none"})

    return _check


intake_accounting_check = _accounting_check("intake_forms", "bronze_intake_forms")
delivery_accounting_check = _accounting_check("opal_deliveries", "bronze_opal_deliveries")
