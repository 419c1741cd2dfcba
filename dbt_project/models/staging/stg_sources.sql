select
    source_id, title, publisher, published_on, date_precision, citation, trust, note, release_at, _load_id as load_id
from {{ source('raw', 'sources') }}
where _superseded_by_load is null
