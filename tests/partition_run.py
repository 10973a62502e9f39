"""One Dagster run of the lakehouse job over [first, last] daily partitions, configured only by the environment
(OSA_WAREHOUSE, OSA_DATABASE_URL or OSA_DUCKDB_PATH, OSA_LANDING_DIR), as a deployed code location is.

    python -m tests.partition_run <first> <last> [<ready_dir> <runs>]

With `ready_dir`, it first waits until `runs` processes have announced themselves there, so that concurrent
runs really overlap. Prints one JSON line: success, start/end times, asset-check outcomes, first failures.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path


def main(first: str, last: str, ready_dir: str | None = None, runs: int = 1) -> int:
    warnings.filterwarnings("ignore")
    from osa.warehouse import configured_warehouse
    from pipelines.definitions import defs
    from pipelines.lakehouse import range_tags

    configured_warehouse().prepare()  # the startup step (idempotent; concurrent runs serialize on it)

    job = defs.resolve_job_def("lakehouse_job")
    if ready_dir:
        ready = Path(ready_dir)
        (ready / f"{first}_{last}").touch()
        deadline = time.monotonic() + 120
        while len(list(ready.iterdir())) < runs:
            if time.monotonic() > deadline:
                raise TimeoutError("the other runs never started")
            time.sleep(0.01)
    started = time.time()
    selection = {"partition_key": first} if first == last else {"tags": range_tags(first, last)}
    result = job.execute_in_process(
        raise_on_error=False, **selection, run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    )
    print(
        json.dumps(
            {
                "first": first,
                "last": last,
                "success": result.success,
                "start": started,
                "end": time.time(),
                "checks": {
                    f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed
                    for e in result.get_asset_check_evaluations()
                },
                "failures": [str(event.message) for event in result.all_events if event.is_failure][:3],
            }
        )
    )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], *(sys.argv[3:4]), *(int(a) for a in sys.argv[4:5])))
