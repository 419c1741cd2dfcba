-- Figures loaded and validated but under embargo: their source's release time (sources.csv release_at) is still to
-- come. In no mart, no serving copy and no SDMX file until the first refresh after that time; the report shows
-- them to stewards as "embargoed until …".
with per_file as (
    select source_id, embargoed_until, file_path, count(*) as figures
    from {{ ref('stg_observations') }}
    where embargoed_until is not null and not is_withdrawn and not is_replaced
    group by source_id, embargoed_until, file_path
)

select
    source_id,
    embargoed_until,
    cast(sum(figures) as bigint) as figures,
    count(*) as files,
    {{ string_agg_ordered("file_path", "file_path", "', '") }} as file_paths
from per_file
group by source_id, embargoed_until
