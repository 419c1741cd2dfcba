select source_id, title, publisher, published_on, date_precision, citation, trust, note
from {{ ref('stg_sources') }}
