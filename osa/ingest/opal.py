"""OPAL webhook deliveries: verify -> de-duplicate -> validate -> silver tables, columnar throughout.

`process_deliveries` takes the raw landing lines of a window of days and returns every output table as
Arrow. All work happens in a private in-memory DuckDB connection; the warehouse (DuckDB file or
PostgreSQL) only ever sees finished tables, so both backends get identical results.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from osa.contracts.opal import AGENT_DATA, AGENT_SLAS, SIGNATURE_TOLERANCE_SECONDS, WORKFLOW_PAYLOAD
from osa.ingest.recommendations import INSIGHT_QUERIES, MACROS, RECOMMENDATIONS_QUERY, base_table_sql
from osa.ingest.scratch import SCRATCH_ROW_GROUP, scratch_connection
from osa.ingest.signature import KEY_ID_PATTERN, WebhookKeyring, verify_signatures
from osa.ingest.validate import (
    JSON_OBJECT,
    compile_contract,
    json_shapes,
    outside_partitions_sql,
    reasons_sql,
    sql_str,
    structure_literal,
    timestamp_sql,
    with_line_checks,
)

ENVELOPE_STRUCTURE = '{"received_at":"JSON","headers":"JSON","body":"JSON"}'
SIGNATURE_PATTERN = rf"^t=(\d+),(?:kid=({KEY_ID_PATTERN}),)?v1=([0-9a-f]{{64}})$"


@dataclass
class DeliveryTables:
    """Every table one delivery ingest produces, plus its accounting."""

    bronze: pa.Table
    quarantine: pa.Table
    agent_executions: pa.Table
    workflow_executions: pa.Table
    recommendations: pa.Table
    insights: dict[str, pa.Table]
    records_in: int
    accepted: int
    quarantined: int
    duplicates: int
    verified_by_key: dict[str, int] = field(default_factory=dict)  # verified deliveries (bronze rows) per key id


@functools.cache
def agent_structures() -> dict[str, str]:
    """Per agent, a from_json structure holding only that agent's `agent_data` (for silver extraction)."""
    structures = {}
    for agent_id, contract in AGENT_DATA.items():
        compiled = compile_contract(contract, root=["agent_data"], code_prefix="agent_data.")
        structures[agent_id] = structure_literal(compiled.structure)
    return structures


@functools.cache
def body_validation_sql() -> tuple[str, str, str, str]:
    """(from_json structure, json_type paths, common reasons SQL, agent reasons SQL) for bodies."""
    compiled = compile_contract(WORKFLOW_PAYLOAD)
    common = reasons_sql(compiled.reasons, compiled)
    per_agent: list[str] = []
    for agent_id, contract in AGENT_DATA.items():
        start = len(compiled.reasons)
        compiled.element_rules, compiled.element_leaves = {}, {}
        compile_contract(contract, root=["agent_data"], code_prefix="agent_data.", compiled=compiled)
        agent_reasons = reasons_sql(compiled.reasons[start:], compiled)
        del compiled.reasons[start:]
        per_agent.append(f"WHEN {sql_str(agent_id)} THEN {agent_reasons}")
    # agent_data rules apply to completed outputs only (started/running/failed carry no results yet),
    # and only once agent_data is an object and the agent is known
    agent_expr = (
        "CASE WHEN list_contains(common_reasons, 'wrong_type:agent_data') "
        "OR json_extract_string(s.execution_status, '$') IS DISTINCT FROM 'completed' THEN []::VARCHAR[] "
        f"ELSE CASE json_extract_string(s.agent_id, '$') {' '.join(per_agent)} "
        "ELSE []::VARCHAR[] END END"
    )
    paths = "[" + ", ".join(sql_str(p) for p in compiled.type_paths) + "]"
    return structure_literal(compiled.structure), paths, common, agent_expr


def _sla_values() -> str:
    rows = ", ".join(f"({sql_str(a)}, {s.max_execution_ms}, {s.confidence_threshold})" for a, s in AGENT_SLAS.items())
    return f"(VALUES {rows}) AS sla(agent_id, max_execution_ms, confidence_threshold)"


def process_deliveries(
    lines: pa.Table,
    *,
    secret: str | WebhookKeyring,
    known_delivery_ids: pa.Array | None = None,
    threads: int | None = None,
) -> DeliveryTables:
    """Run the whole delivery path over `lines` (event_date, source_file, source_line, line).

    `secret` is the keyring, or one secret (key id `default`, no window).

    `known_delivery_ids` are body digests already accepted in earlier partitions: a body seen there is a
    replay and is recorded as a duplicate here, never counted twice.
    """
    with scratch_connection(threads) as con:
        keyring = secret if isinstance(secret, WebhookKeyring) else WebhookKeyring.single(secret)
        return _process(con, lines, keyring, known_delivery_ids)


def _process(
    con: duckdb.DuckDBPyConnection, lines: pa.Table, keyring: WebhookKeyring, known_delivery_ids: pa.Array | None
) -> DeliveryTables:
    con.execute(MACROS)
    lines = with_line_checks(lines)
    con.register(
        "raw_lines", pa.Table.from_batches(lines.to_batches(max_chunksize=SCRATCH_ROW_GROUP), schema=lines.schema)
    )
    known = pa.table(
        {"delivery_id": known_delivery_ids if known_delivery_ids is not None else pa.array([], pa.string())}
    )
    con.register("known_ids", known)

    # 1. Envelope: JSON object with received_at (RFC 3339 timestamp), headers.X-OSA-Signature and body
    #    (string). The raw line is not carried further: from here on only the fields are. Whether the line is
    #    strict JSON (RFC 8259) and an object was decided in Python (`with_line_checks`); DuckDB, which is
    #    lenient (NaN, Infinity, trailing commas), only parses lines that passed.
    con.execute(f"""
        CREATE TABLE envelope AS
        WITH parsed AS (
            SELECT * EXCLUDE (line), from_json(CASE WHEN is_object THEN line END, '{ENVELOPE_STRUCTURE}') AS env
            FROM (SELECT *, utf8_valid AND json_shape = {JSON_OBJECT} AS is_object FROM raw_lines)
        ), fields AS (
            SELECT * EXCLUDE (env),
                {timestamp_sql("json_extract_string(env.received_at, '$')")} AS received_at,
                coalesce(json_extract_string(env.headers, '$."X-OSA-Signature"'),
                         json_extract_string(env.headers, '$."x-osa-signature"')) AS signature_header,
                CASE WHEN json_type(env.body) = 'VARCHAR' THEN json_extract_string(env.body, '$') END AS body
            FROM parsed
        )
        SELECT event_date, source_file, source_line, received_at, body,
            regexp_extract(signature_header, '{SIGNATURE_PATTERN}', 1) AS sig_t,
            regexp_extract(signature_header, '{SIGNATURE_PATTERN}', 2) AS sig_kid,
            regexp_extract(signature_header, '{SIGNATURE_PATTERN}', 3) AS sig_v1,
            list_filter([
                CASE WHEN json_shape <> {JSON_OBJECT} THEN 'malformed_envelope:not_json_object'
                     WHEN NOT utf8_valid THEN 'invalid_utf8' END,
                CASE WHEN is_object AND received_at IS NULL THEN 'malformed_envelope:received_at' END,
                -- received on a day that is no partition (year 1, 1970, 9999: staging filed it under today)
                CASE WHEN {outside_partitions_sql("received_at")} THEN 'malformed_envelope:received_at_out_of_range'
                     END,
                CASE WHEN is_object AND body IS NULL THEN 'malformed_envelope:body' END,
                CASE WHEN is_object AND signature_header IS NULL THEN 'missing_signature' END,
                CASE WHEN signature_header IS NOT NULL
                      AND NOT regexp_matches(signature_header, '{SIGNATURE_PATTERN}') THEN 'malformed_signature' END
            ], lambda x: x IS NOT NULL) AS envelope_reasons
        FROM fields
    """)

    # 2. Signatures: HMAC-SHA256 per key computed vectorized in DuckDB, compared in constant time; any key
    #    valid at `t` (or the one `kid=` names) verifies a delivery.
    checks = verify_signatures(
        con, "SELECT rowid AS rid, sig_t, sig_kid, sig_v1, body FROM envelope WHERE len(envelope_reasons) = 0", keyring
    )
    con.register("signature_check", checks)
    del checks
    con.execute(f"""
        CREATE VIEW checked AS
        SELECT e.rowid AS rid, e.* EXCLUDE (envelope_reasons, sig_kid, sig_v1), c.key_id,
            list_concat(e.envelope_reasons, list_filter([
                c.signature_reason,
                -- a t= too large for BIGINT cannot be within the tolerance either (coalesce: stale)
                CASE WHEN c.rid IS NOT NULL AND coalesce(abs(TRY_CAST(e.sig_t AS BIGINT)
                          - epoch(e.received_at)) > {SIGNATURE_TOLERANCE_SECONDS}, true) THEN 'stale_signature' END
            ], lambda x: x IS NOT NULL)) AS envelope_reasons
        FROM envelope e LEFT JOIN signature_check c ON c.rid = e.rowid
    """)
    envelope_rejects = con.sql("""
        SELECT event_date, source_file, source_line, 'envelope' AS stage,
               envelope_reasons AS reason_codes, envelope_reasons[1] AS primary_reason,
               TRY(json_extract_string(body, '$.agent_id')) AS agent_id,
               TRY(json_extract_string(body, '$.workflow_id')) AS workflow_id,
               CASE WHEN body IS NOT NULL THEN sha256(body) END AS record_digest
        FROM checked WHERE len(envelope_reasons) > 0
    """).to_arrow_table()

    # 3. Replays: the earliest verified copy of a body wins; later copies (or ones seen before) are duplicates.
    con.execute("""
        CREATE TABLE verified AS
        WITH candidates AS (
            SELECT *, sha256(body) AS delivery_id FROM checked WHERE len(envelope_reasons) = 0
        ), first_copy AS (  -- a hash aggregate, not a sort: the earliest copy of every body
            SELECT delivery_id, arg_min(rid, (received_at, source_file, source_line)) AS first_rid
            FROM candidates GROUP BY delivery_id
        )
        SELECT event_date, source_file, source_line, received_at, body,
            TRY_CAST(sig_t AS BIGINT) AS signature_timestamp, c.delivery_id, c.key_id,
            (c.rid <> f.first_rid OR c.delivery_id IN (SELECT delivery_id FROM known_ids)) AS is_duplicate
        FROM candidates c JOIN first_copy f USING (delivery_id)
    """)
    con.execute("DROP VIEW checked")
    con.execute("DROP TABLE envelope")
    # Bodies are checked as strict JSON after extraction (the string DuckDB took out of the envelope is the
    # one that was verified and is validated), once per distinct delivery.
    bodies = con.sql("SELECT rowid AS rid, body FROM verified WHERE NOT is_duplicate").to_arrow_table()
    con.register("body_shapes", pa.table({"rid": bodies["rid"], "body_shape": json_shapes(bodies["body"])}))
    del bodies

    # 4. Body contract (common fields + the agent's own agent_data contract). The parsed struct is used in
    #    flight and never stored (storing it costs more than parsing): `validated` keeps typed common
    #    fields and the reasons; silver queries re-parse only their own agent's part of accepted bodies.
    structure, type_paths, common_reasons, agent_reasons = body_validation_sql()
    con.execute(f"""
        CREATE TABLE validated AS
        WITH valid AS (
            SELECT v.rowid AS rid, event_date, delivery_id, source_file, source_line, received_at,
                   coalesce(b.body_shape > 0, false) AS body_is_json,
                   coalesce(b.body_shape = {JSON_OBJECT}, false) AS body_is_object, body
            FROM verified v LEFT JOIN body_shapes b ON b.rid = v.rowid WHERE NOT is_duplicate
        ), bodies AS (
            -- one parse gives every top-level field's type
            SELECT *, json_type(CASE WHEN body_is_object THEN body END, {type_paths}) AS t FROM valid
        ), parsed AS (
            SELECT * EXCLUDE (body),
                   from_json(CASE WHEN body_is_object THEN body END, {structure}) AS s,
                   CASE WHEN NOT body_is_object THEN TRY(json_extract_string(body, '$.agent_id')) END AS raw_agent,
                   CASE WHEN NOT body_is_object THEN
                        coalesce(TRY(json_extract_string(body, '$.workflow_id')),
                                 regexp_extract(body, '"workflow_id"\\s*:\\s*"([^"]*)"', 1)) END AS raw_workflow
            FROM bodies
        ), judged AS (
            SELECT *,
                CASE WHEN NOT body_is_json THEN ['invalid_json']
                     WHEN NOT body_is_object THEN ['body_not_object']
                     ELSE list_concat(common_reasons, {agent_reasons}) END AS body_reasons
            FROM (SELECT *, {common_reasons} AS common_reasons FROM parsed)
        )
        SELECT rid, event_date, delivery_id, source_file, source_line, received_at, body_reasons,
            coalesce(jstr(s.workflow_id), raw_workflow) AS workflow_id,
            coalesce(jstr(s.agent_id), raw_agent) AS agent_id,
            jstr(s.execution_id) AS execution_id,
            jstr(s.execution_status) AS execution_status,
            jstr(s.correlation_id) AS correlation_id,
            TRY_CAST(jstr(s.metadata.timestamp) AS TIMESTAMPTZ) AS agent_timestamp,
            TRY_CAST(s.metadata.execution_duration_ms AS BIGINT) AS execution_duration_ms,
            TRY_CAST(s.metadata.confidence_score AS DOUBLE) AS confidence_score,
            CASE WHEN len(body_reasons) = 0 THEN from_json(s.metadata.data_sources, '["VARCHAR"]') END AS data_sources
        FROM judged
    """)
    con.execute("CREATE VIEW accepted AS SELECT * FROM validated WHERE len(body_reasons) = 0")
    # accepted completed outputs with their body, for the per-agent silver extraction below
    con.execute("""
        CREATE TABLE completed_bodies AS
        SELECT a.event_date, a.delivery_id, a.workflow_id, a.agent_id, v.body
        FROM accepted a JOIN verified v ON v.rowid = a.rid
        WHERE a.execution_status = 'completed'
    """)
    bronze = con.sql("""
        SELECT event_date, delivery_id, source_file, source_line, received_at, signature_timestamp,
               is_duplicate, CASE WHEN is_duplicate THEN NULL ELSE body END AS body
        FROM verified ORDER BY event_date, source_file, source_line
    """).to_arrow_table()
    contract_rejects = con.sql("""
        SELECT event_date, source_file, source_line, 'contract' AS stage, body_reasons AS reason_codes,
               body_reasons[1] AS primary_reason, agent_id, workflow_id, delivery_id AS record_digest
        FROM validated WHERE len(body_reasons) > 0
    """).to_arrow_table()
    quarantine = pa.concat_tables([envelope_rejects, contract_rejects.cast(envelope_rejects.schema)])
    # A rejected record's agent_id is kept only when it names a known agent; anything else a sender wrote there
    # is stored as a digest (still groups the same bad value), never as the value itself.
    con.register("quarantine_raw", quarantine)
    known_agents = ", ".join(sql_str(a) for a in AGENT_SLAS)
    quarantine = con.sql(f"""
        SELECT * REPLACE (CASE WHEN agent_id IS NULL OR agent_id IN ({known_agents}) THEN agent_id
                               ELSE 'sha256:' || substr(sha256(agent_id), 1, 16) END AS agent_id)
        FROM quarantine_raw
    """).to_arrow_table()
    con.unregister("quarantine_raw")
    quarantine = quarantine.sort_by(
        [("event_date", "ascending"), ("source_file", "ascending"), ("source_line", "ascending")]
    )

    con.execute(f"""
        CREATE TABLE agent_exec AS
        SELECT a.event_date, a.delivery_id, a.execution_id, a.workflow_id, a.agent_id, a.execution_status,
            a.correlation_id, a.agent_timestamp, a.received_at, a.execution_duration_ms, a.confidence_score,
            a.data_sources,
            sla.max_execution_ms AS sla_max_execution_ms,
            sla.confidence_threshold AS sla_confidence_threshold,
            a.source_file, a.source_line
        FROM accepted a JOIN {_sla_values()} ON sla.agent_id = a.agent_id
    """)
    agent_executions = con.sql("""
        SELECT *,
            execution_status IN ('completed', 'failed') AS is_final,
            coalesce(execution_duration_ms > sla_max_execution_ms, false) AS is_timeout,
            coalesce(confidence_score < sla_confidence_threshold, false) AS is_low_confidence,
            CASE WHEN execution_status NOT IN ('completed', 'failed') THEN 'in_progress'
                 WHEN execution_status = 'failed' THEN 'failed'
                 WHEN coalesce(execution_duration_ms > sla_max_execution_ms, false) THEN 'timeout'
                 WHEN coalesce(confidence_score < sla_confidence_threshold, false) THEN 'low_confidence'
                 ELSE 'met' END AS sla_status
        FROM agent_exec ORDER BY event_date, workflow_id, agent_id, received_at
    """).to_arrow_table()
    con.register("agent_executions_t", agent_executions)
    con.register("quarantine_t", quarantine)

    workflow_executions = con.sql(f"""
        WITH outputs AS (
            SELECT event_date, workflow_id, agent_id, execution_status, received_at, true AS valid
            FROM agent_executions_t WHERE is_final
            UNION ALL
            SELECT event_date, workflow_id, agent_id, NULL, NULL, false
            FROM quarantine_t WHERE stage = 'contract' AND workflow_id IS NOT NULL
        )
        SELECT event_date, workflow_id,
            count(DISTINCT agent_id) FILTER (WHERE valid) AS agents_reporting,
            count(*) FILTER (WHERE valid) AS valid_outputs,
            count(*) FILTER (WHERE NOT valid) AS invalid_outputs,
            count(DISTINCT agent_id) FILTER (WHERE execution_status = 'completed') AS agents_completed,
            count(DISTINCT agent_id) FILTER (WHERE execution_status = 'failed') AS agents_failed,
            min(received_at) AS first_output_at, max(received_at) AS last_output_at,
            count(DISTINCT agent_id) FILTER (WHERE execution_status = 'completed') = {len(AGENT_SLAS)}
                AS is_complete,
            count(*) FILTER (WHERE NOT valid) * 2 > count(*) AS is_degraded,
            CASE WHEN count(*) FILTER (WHERE NOT valid) * 2 > count(*) THEN 'degraded'
                 WHEN count(DISTINCT agent_id) FILTER (WHERE execution_status = 'failed') > 0 THEN 'failed'
                 WHEN count(DISTINCT agent_id) FILTER (WHERE execution_status = 'completed') = {len(AGENT_SLAS)}
                      THEN 'completed'
                 ELSE 'partial' END AS workflow_status
        FROM outputs GROUP BY event_date, workflow_id ORDER BY event_date, workflow_id
    """).to_arrow_table()

    for agent_id, agent_structure in agent_structures().items():
        con.execute(base_table_sql(agent_id, agent_structure))
    con.execute("DROP TABLE completed_bodies")
    recommendations = con.sql(RECOMMENDATIONS_QUERY).to_arrow_table()
    insights = {name: con.sql(query).to_arrow_table() for name, query in INSIGHT_QUERIES.items()}

    records_in = lines.num_rows
    duplicates = int(pa.compute.sum(bronze["is_duplicate"]).as_py() or 0)
    verified_by_key = dict(
        con.execute("SELECT key_id, count(*) FROM verified GROUP BY key_id ORDER BY key_id").fetchall()
    )
    return DeliveryTables(
        bronze=bronze,
        quarantine=quarantine,
        agent_executions=agent_executions,
        workflow_executions=workflow_executions,
        recommendations=recommendations,
        insights=insights,
        records_in=records_in,
        accepted=agent_executions.num_rows,
        quarantined=quarantine.num_rows,
        duplicates=duplicates,
        verified_by_key=verified_by_key,
    )
