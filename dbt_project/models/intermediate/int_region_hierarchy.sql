-- GB/T 2260 hierarchy flattened: every region with its prefecture and province, so that a target can bind the
-- regions below it and BI tools can filter by prefecture or province without recursion.
with regions as (
    select * from {{ ref('stg_regions') }}
),

ancestry as (
    select
        r.*,
        p.level as parent_level,
        p.parent_code as grandparent_code,
        g.level as grandparent_level
    from regions as r
    left join regions as p on p.region_code = r.parent_code
    left join regions as g on g.region_code = p.parent_code
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
    end as province_code
from ancestry
