"""Dagster definitions, one concern per module."""
