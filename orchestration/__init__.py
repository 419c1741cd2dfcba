"""Quzhou indicator warehouse: Dagster code location and the pure helpers it uses."""
