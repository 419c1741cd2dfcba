-- The codes of the breakdown dimensions, the total _T of each included: what fct_observation.sex, age and
-- urbanisation (and the targets' and SDMX's) hold.
select dimension, code, name_zh, name_en, sums_to_total
from {{ ref('stg_breakdowns') }}

union all

select dimension, '_T' as code, '合计' as name_zh, 'Total' as name_en, false as sums_to_total
from (
    select 'sex' as dimension
    union all
    select 'age'
    union all
    select 'urbanisation'
) as d
