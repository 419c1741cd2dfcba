-- The parts of each breakdown dimension (catalogue/breakdowns.csv); the total _T of every dimension has no row.
select dimension, code, name_zh, name_en, aliases, sums_to_total, _load_id as load_id
from {{ source('raw', 'breakdowns') }}
where _superseded_by_load is null
