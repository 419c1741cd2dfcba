-- A plan has one base year: targets of the same plan that disagree on it are listed here.
select plan_code, count(distinct base_year) as base_years
from {{ ref('fct_target') }}
group by plan_code
having count(distinct base_year) > 1
