"""The ingest core, no Dagster: file families, parsing, units, reading a file, Great Expectations validation, catalogue checks, and the loop that reconciles raw/ with the warehouse."""
