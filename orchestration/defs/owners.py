"""Who answers for which assets, as the Dagster UI shows it (owners are emails or `team:` names)."""

WAREHOUSE_TEAM = "team:warehouse"  # ingest, validation and the dbt models (also set in dbt_project.yml)
BI_TEAM = "team:bi"  # the serving snapshot BI tools read
STEWARDS = "team:data-stewards"  # the quality report
