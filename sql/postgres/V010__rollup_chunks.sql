-- V010: daily metric rollups in 30-day chunks (Table.chunk_days). ~535 rows a day that dashboards read over
-- months: planning a query over 120 one-day chunks cost ~25 ms. Applies to chunks created from now on.
SELECT set_chunk_time_interval('metric_rollups_daily', INTERVAL '30 days');
