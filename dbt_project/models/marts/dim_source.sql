select source_id, title, publisher, published_on, date_precision, citation, trust, note, release_at
from {{ ref('stg_sources') }}
