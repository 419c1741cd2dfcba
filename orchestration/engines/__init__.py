"""Other engines for the same dbt project: Spark, compared with DuckDB table by table."""
