-- GB/T 2260 hierarchy flattened: every region with its prefecture and province, so that a target can bind the
-- regions below it and BI tools can filter by prefecture or province without recursion. A retired region (行政区划调整)
-- names its successor and the date; current_region_code follows successors to the region in force now (chains of up
-- to three successions; the catalogue check refuses loops).
with regions as (
    select * from {{ ref('stg_regions') }}
),

ancestry as (
    select
        r.*,
        p.level as parent_level,
        p.parent_code as grandparent_code,
        g.level as grandparent_level,
        coalesce(s3.region_code, s2.region_code, s1.region_code, r.region_code) as current_region_code
    from regions as r
    left join regions as p on p.region_code = r.parent_code
    left join regions as g on g.region_code = p.parent_code
    left join regions as s1 on s1.region_code = r.successor_code
    left join regions as s2 on s2.region_code = s1.successor_code
    left join regions as s3 on s3.region_code = s2.successor_code
)

select
    region_code,
    name_zh,
    name_en,
    level,
    parent_code,
    case
        when level = 'prefecture' then region_code
        when parent_level = 'prefecture' then parent_code
        when grandparent_level = 'prefecture' then grandparent_code
    end as prefecture_code,
    case
        when level = 'province' then region_code
        when parent_level = 'province' then parent_code
        when grandparent_level = 'province' then grandparent_code
        when level in ('county', 'urban_districts') then left(region_code, 2) || '0000'
    end as province_code,
    successor_code,
    retired_on,
    current_region_code
from ancestry
