"""SDMX for the marts: structures generated from the catalogue, SDMX-CSV 2.0 data, the served history (docs/sdmx.md)."""
