"""Strategy intake forms: parse -> de-duplicate -> validate -> silver, columnar in DuckDB.

API credentials are secrets: they are read only to learn *which* keys were supplied and are never
copied into any output (bronze keeps the form with every credential value removed).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pyarrow as pa

from osa.contracts.intake import CREDENTIAL_KEYS, INTAKE_FORM
from osa.ingest.recommendations import MACROS
from osa.ingest.scratch import scratch_connection
from osa.ingest.validate import (
    JSON_INVALID,
    JSON_OBJECT,
    compile_contract,
    outside_partitions_sql,
    reasons_sql,
    sql_str,
    structure_literal,
    timestamp_sql,
    with_line_checks,
)


@dataclass
class IntakeTables:
    bronze: pa.Table
    silver: pa.Table
    quarantine: pa.Table
    records_in: int
    accepted: int
    quarantined: int
    duplicates: int


@functools.cache
def intake_validation_sql() -> tuple[str, str, str]:
    compiled = compile_contract(INTAKE_FORM)
    paths = "[" + ", ".join(sql_str(p) for p in compiled.type_paths) + "]"
    return structure_literal(compiled.structure), paths, reasons_sql(compiled.reasons, compiled)


_CREDENTIALS_SUPPLIED = (
    "list_filter(["
    + ", ".join(
        f"CASE WHEN json_type(s.optimizely_config.api_credentials, '$.{key}') = 'VARCHAR' "
        f"AND length(trim(json_extract_string(s.optimizely_config.api_credentials, '$.{key}'))) > 0 "
        f"THEN '{key}' END"
        for key in CREDENTIAL_KEYS
    )
    + "], lambda x: x IS NOT NULL)"
)

# The whole api_credentials object (the four known keys and anything else a sender put there) is removed
# before a form is kept anywhere, whatever else the form contains.
_SCRUB_CREDENTIALS = "json_merge_patch(line, json_object('optimizely_config', json_object('api_credentials', NULL)))"


def process_intake(
    lines: pa.Table, *, known_form_ids: pa.Array | None = None, threads: int | None = None
) -> IntakeTables:
    """Run the intake path over raw landing `lines` (event_date, source_file, source_line, line)."""
    with scratch_connection(threads) as con:  # the same private scratch DuckDB as the delivery path
        con.execute(MACROS)
        con.register("raw_lines", with_line_checks(lines))  # utf8_valid, and json_shape: strict JSON (RFC 8259)
        known = pa.table({"form_id": known_form_ids if known_form_ids is not None else pa.array([], pa.string())})
        con.register("known_ids", known)
        structure, type_paths, reasons = intake_validation_sql()
        con.execute(f"""
            CREATE TEMP TABLE parsed AS
            WITH shaped AS (
                SELECT *, utf8_valid AND json_shape = {JSON_OBJECT} AS is_object,
                       NOT utf8_valid OR json_shape = {JSON_INVALID} AS is_unreadable
                FROM raw_lines
            )
            SELECT *, sha256(line) AS form_id,
                from_json(CASE WHEN is_object THEN line END, {structure}) AS s,
                json_type(CASE WHEN is_object THEN line END, {type_paths}) AS t,
                -- a line that is no JSON (a blank line, bad UTF-8) is no submission: never a duplicate
                NOT is_unreadable AND (
                    row_number() OVER (PARTITION BY line ORDER BY event_date, source_file, source_line) > 1
                    OR sha256(line) IN (SELECT form_id FROM known_ids)) AS is_duplicate
            FROM shaped
        """)
        con.execute(f"""
            CREATE TEMP TABLE judged AS
            SELECT *,
                -- a line that is no JSON even with its bad bytes replaced is invalid_json (as before); one that
                -- would be a JSON document but for bytes that are not UTF-8 is invalid_utf8
                CASE WHEN json_shape = {JSON_INVALID} THEN ['invalid_json']
                     WHEN NOT utf8_valid THEN ['invalid_utf8']
                     WHEN NOT is_object THEN ['form_not_object']
                     ELSE list_concat({reasons}, CASE
                        WHEN json_type(s.optimizely_config.api_credentials) = 'OBJECT'
                         AND len({_CREDENTIALS_SUPPLIED}) = 0 THEN ['no_api_credentials'] ELSE [] END,
                        -- a form "submitted" on a day that is no partition (staging filed it under today)
                        CASE WHEN {outside_partitions_sql(timestamp_sql("jstr(s.submitted_at)"))}
                             THEN ['out_of_range:submitted_at'] ELSE [] END)
                END AS reasons
            FROM parsed WHERE NOT is_duplicate
        """)
        bronze = con.sql(f"""
            SELECT event_date, form_id, source_file, source_line, is_duplicate,
                   CASE WHEN is_object AND NOT is_duplicate THEN CAST({_SCRUB_CREDENTIALS} AS VARCHAR) END AS form_json
            FROM parsed ORDER BY event_date, source_file, source_line
        """).to_arrow_table()
        silver = con.sql(f"""
            SELECT event_date, form_id, jstr(s.workflow_id) AS workflow_id,
                {timestamp_sql("jstr(s.submitted_at)")} AS submitted_at,
                jstr(s.business_context.company_name) AS company_name,
                jstr(s.business_context.industry) AS industry,
                jlist(s.business_context.goals) AS goals,
                jstr(s.business_context.target_audience) AS target_audience,
                jlist(s.business_context.current_challenges) AS current_challenges,
                jstr(s.optimizely_config.project_id) AS project_id,
                jstr(s.optimizely_config.workspace_id) AS workspace_id,
                {_CREDENTIALS_SUPPLIED} AS credentials_supplied,
                jstr(s.analysis_preferences.analysis_depth) AS analysis_depth,
                jlist(s.analysis_preferences.focus_areas) AS focus_areas,
                jstr(s.analysis_preferences.timeline) AS timeline,
                jstr(s.client_name) AS client_name, jstr(s.company_size) AS company_size,
                jlist(s.current_capabilities) AS current_capabilities,
                jlist(s.business_objectives) AS business_objectives,
                jlist(s.additional_marketing_technology) AS additional_marketing_technology,
                jstr(s.timeline_preference) AS timeline_preference, jstr(s.budget_range) AS budget_range,
                jlist(s.recipients) AS recipients, jstr(s.contact_name) AS contact_name,
                jstr(s.contact_phone) AS contact_phone, jstr(s.notes) AS notes,
                source_file, source_line
            FROM judged WHERE len(reasons) = 0 ORDER BY event_date, source_file, source_line
        """).to_arrow_table()
        quarantine = con.sql("""
            SELECT event_date, source_file, source_line, 'contract' AS stage, reasons AS reason_codes,
                   reasons[1] AS primary_reason, NULL::VARCHAR AS agent_id,
                   CASE WHEN is_object THEN TRY(json_extract_string(line, '$.workflow_id')) END AS workflow_id,
                   form_id AS record_digest
            FROM judged WHERE len(reasons) > 0 ORDER BY event_date, source_file, source_line
        """).to_arrow_table()
        duplicates = int(con.execute("SELECT count(*) FROM parsed WHERE is_duplicate").fetchone()[0])
    return IntakeTables(
        bronze=bronze,
        silver=silver,
        quarantine=quarantine,
        records_in=lines.num_rows,
        accepted=silver.num_rows,
        quarantined=quarantine.num_rows,
        duplicates=duplicates,
    )
