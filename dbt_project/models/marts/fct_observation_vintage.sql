{{ config(
    materialized=figure_materialization(),
    incremental_strategy="append",
    on_schema_change="fail",
    pre_hook="{{ delete_changed_figures() }}",
) }}
-- depends_on: {{ ref('int_changed_figures') }}
select
    v.indicator_code,
    v.region_code,
    v.period_label,
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
where {{ only_changed_figures('v') }}
