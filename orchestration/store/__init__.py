"""The DuckDB warehouse: schema, the writer lock, one-transaction commits."""
