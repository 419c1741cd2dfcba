select
    source_id, title, publisher, published_on, date_precision, citation, trust, note,
    cast(release_at as timestamp) as release_at,  -- Parquet's zone-less timestamp is timestamp_ntz on Spark
    _load_id as load_id
from {{ source('raw', 'sources') }}
where _superseded_by_load is null
