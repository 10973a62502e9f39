"""Independent accounting: lines in the landing files versus where the warehouse says they went."""

from __future__ import annotations

from collections import defaultdict

from osa.ingest.landing import LandingFile, count_lines
from osa.warehouse.base import Warehouse

_ACCEPTED = {"intake_forms": "silver_intake_forms", "opal_deliveries": "silver_agent_executions"}


def accounting_by_day(warehouse: Warehouse, source: str, files: list[LandingFile]) -> list[dict]:
    """Per day: records_in (counted from the raw files), accepted, quarantined, duplicates, unaccounted."""
    received: dict = defaultdict(int)
    for landing_file in files:
        received[landing_file.day] += count_lines([landing_file])
    placed = {
        row["event_date"]: row
        for row in warehouse.query(f"""
            WITH a AS (SELECT event_date, count(*) AS n FROM {_ACCEPTED[source]} GROUP BY 1),
                 q AS (SELECT event_date, count(*) AS n FROM quarantine_{source} GROUP BY 1),
                 d AS (SELECT event_date, count(*) AS n FROM bronze_{source} WHERE is_duplicate GROUP BY 1),
                 days AS (SELECT event_date FROM a UNION SELECT event_date FROM q UNION SELECT event_date FROM d)
            SELECT days.event_date, coalesce(a.n, 0) AS accepted, coalesce(q.n, 0) AS quarantined,
                   coalesce(d.n, 0) AS duplicates
            FROM days LEFT JOIN a USING (event_date) LEFT JOIN q USING (event_date) LEFT JOIN d USING (event_date)
        """).to_pylist()
    }
    report = []
    for day in sorted(set(received) | set(placed)):
        row = placed.get(day, {"accepted": 0, "quarantined": 0, "duplicates": 0})
        records_in = received.get(day, 0)
        report.append(
            {
                "event_date": day,
                "records_in": records_in,
                "accepted": row["accepted"],
                "quarantined": row["quarantined"],
                "duplicates": row["duplicates"],
                "unaccounted": records_in - row["accepted"] - row["quarantined"] - row["duplicates"],
            }
        )
    return report
