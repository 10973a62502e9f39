"""Data quality: schemas and Great Expectations suites derived from the table catalogue."""
