-- Cross-indicator rules the published figures allow us to check. One row per rule and case.
with obs as (  -- an indicator's total, and its parts under the code `INDICATOR.breakdown`
    select
        case when breakdown = '_T' then indicator_code else indicator_code || '.' || breakdown end as indicator_code,
        region_code, period_label, value, value_decimals
    from {{ ref('fct_observation') }}
),

income_ratio as (
    select
        'income_ratio_equals_urban_over_rural' as rule_id,
        '城乡居民收入倍差 = 城镇居民收入 ÷ 农村居民收入' as rule_zh,
        'urban-rural income ratio = urban income ÷ rural income' as rule_en,
        r.region_code,
        r.period_label,
        r.value as published_value,
        round(u.value / n.value, 4) as expected_value,
        -- agree within the rounding of the published ratio (1.99 stands for 1.985 to 1.995)
        abs(r.value - u.value / n.value) <= 0.5 * power(10, -coalesce(r.value_decimals, 2)) + 1e-9 as passed
    from obs as r
    inner join obs as u
        on u.indicator_code = 'INCOME_ALL.urbanisation=U' and u.region_code = r.region_code and u.period_label = r.period_label
    inner join obs as n
        on n.indicator_code = 'INCOME_ALL.urbanisation=R' and n.region_code = r.region_code and n.period_label = r.period_label
    where r.indicator_code = 'INCOME_RATIO_URBAN_RURAL'
),

rank_counts as (
    select
        'ranked_indicator_counts_nest' as rule_id,
        '第一项数 ≤ 前三项数 ≤ 前五项数 ≤ 指标总数' as rule_zh,
        'indicators ranked first ≤ top three ≤ top five ≤ all compared' as rule_en,
        f.region_code,
        f.period_label,
        f.value as published_value,
        cast(null as double) as expected_value,
        f.value <= t3.value and t3.value <= t5.value and t5.value <= a.value as passed
    from obs as f
    inner join obs as t3 on t3.indicator_code = 'MAIN_ECON_TOP3' and t3.region_code = f.region_code and t3.period_label = f.period_label
    inner join obs as t5 on t5.indicator_code = 'MAIN_ECON_TOP5' and t5.region_code = f.region_code and t5.period_label = f.period_label
    inner join obs as a on a.indicator_code = 'MAIN_ECON_INDICATORS' and a.region_code = f.region_code and a.period_label = f.period_label
    where f.indicator_code = 'MAIN_ECON_FIRST'
),

urbanisation_bounds as (
    select
        'urban_share_within_population' as rule_id,
        '城镇人口不超过常住人口(城镇化率 ≤ 100%)' as rule_zh,
        'urban population never exceeds the resident population (urbanisation ≤ 100%)' as rule_en,
        region_code,
        period_label,
        value as published_value,
        cast(null as double) as expected_value,
        value between 0 and 100 as passed
    from obs
    where indicator_code = 'URBANISATION'
)

select * from income_ratio
union all
select * from rank_counts
union all
select * from urbanisation_bounds
