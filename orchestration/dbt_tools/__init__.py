"""dbt beside Dagster: the `qz-dbt` guard, `make docs`, the mart contract page."""
