-- Figures a publication prints as not available (…, —, or a layout's missing symbol) and no publication gives a
-- value for: one row per (indicator, region, period), from the latest such publication. Kept apart from
-- fct_observation so that a missing figure is never a value (never 0) and never hides an older published one;
-- the SDMX observations carry them with OBS_STATUS M and no value (docs/sdmx.md).
with marked as (
    select
        m.*,
        s.published_on,
        row_number() over (
            partition by m.indicator_code, m.region_code, m.period_label, m.breakdown
            order by s.published_on desc nulls last, m.source_id, m.file_path, m.file_line
        ) as latest_first
    from {{ ref('stg_observations') }} as m
    left join {{ ref('stg_sources') }} as s on s.source_id = m.source_id
    where m.value is null and not m.is_withdrawn and not m.is_replaced and m.embargoed_until is null
)

select
    m.indicator_code,
    m.region_code,
    m.period_label,
    m.breakdown,
    m.sex,
    m.age,
    m.urbanisation,
    m.conf_status,
    m.period_kind,
    m.period_start,
    m.period_end,
    m.start_year,
    m.end_year,
    i.unit,
    i.value_type,
    m.as_published,
    m.source_id,
    m.published_on,
    m.note,
    m.source_cell,
    m.file_path,
    cast(m.file_line as integer) as file_line
from marked as m
left join {{ ref('stg_indicators') }} as i on i.indicator_code = m.indicator_code
left join {{ ref('fct_observation') }} as o
    on
        o.indicator_code = m.indicator_code
        and o.region_code = m.region_code
        and o.period_label = m.period_label
        and o.breakdown = m.breakdown
where m.latest_first = 1 and o.indicator_code is null
