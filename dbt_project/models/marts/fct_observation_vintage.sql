{{ config(
    materialized=figure_materialization(),
    incremental_strategy="append",
    on_schema_change="fail",
    pre_hook="{{ delete_changed_figures() }}",
) }}
-- depends_on: {{ ref('int_changed_figures') }}
-- A figure whose latest version is confidential is confidential in every version: its earlier free ones, with the
-- free figures around them, would give it away (they were served once; they are not served again).
with latest_status as (
    select lv.indicator_code, lv.region_code, lv.period_label, lv.breakdown, lv.conf_status
    from {{ ref('int_observation_vintages') }} as lv
    where lv.is_latest and {{ only_changed_figures('lv') }}
)

select
    v.indicator_code,
    v.region_code,
    v.period_label,
    v.breakdown,
    v.sex,
    v.age,
    v.urbanisation,
    case when l.conf_status is null or l.conf_status = 'F' then v.conf_status else l.conf_status end as conf_status,
    v.source_id,
    v.published_on,
    v.vintage_rank,
    v.is_latest,
    v.is_revision,
    v.previous_value,
    v.previous_source_id,
    v.value,
    v.value_decimals,
    v.unit,
    v.value_type,
    v.obs_status,
    v.qualifier,
    v.as_published,
    v.file_path,
    v.file_line,
    v.load_id,
    v.is_withdrawn,
    v.withdrawn_at,
    v.withdrawn_reason,
    v.is_replaced,
    v.replaced_by_value,
    v.source_cell
from {{ ref('int_observation_vintages') }} as v
left join latest_status as l
    on
        l.indicator_code = v.indicator_code
        and l.region_code = v.region_code
        and l.period_label = v.period_label
        and l.breakdown = v.breakdown
where {{ only_changed_figures('v') }}
