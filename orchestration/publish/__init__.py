"""What a refresh publishes from the warehouse: the serving copy for BI tools and the raw zone (Parquet) for other engines."""
