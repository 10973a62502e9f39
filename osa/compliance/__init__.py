"""Retention, legal holds, data-subject requests, the compliance scan and the tamper-evident audit log.

Domain logic only (no Dagster): `pipelines/compliance.py` wires it into jobs and schedules, `osa retention`,
`osa dsr` and `osa audit` into the command line.
"""
