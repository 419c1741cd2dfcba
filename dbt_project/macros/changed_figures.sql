{#-
    Incremental figure models. A figure is one (indicator_code, region_code, period_label). Before a scoped build
    the refresh writes into audit.dbt_build_scope (its columns are the protocol: orchestration/store/ddl.py) the
    run id, the observation files whose state changed since the last build (loaded, refused, withdrawn or moved)
    and the sources whose catalogue entry changed (orchestration/dbt_tools/build_scope.py); the models keyed by figure then recompute only the figures those
    touch: int_changed_figures lists them, each incremental model deletes its rows of them (delete_changed_figures,
    a pre-hook: same transaction) and inserts them again (only_changed_figures). Without a scope — a first build,
    `--full-refresh`, dbt run by hand — every figure is rebuilt. On engines other than DuckDB these models are
    plain tables. The scope is a table rather than vars: changing vars make dbt parse the whole project again.
-#}

{% macro build_scope_table() -%}
    audit.dbt_build_scope
{%- endmacro %}

{#- True while the refresh's scoped build runs (the refresh empties the table afterwards). -#}
{% macro build_is_scoped() -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set marked = run_query("select count(*) from " ~ build_scope_table()) -%}
    {{ return(marked.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- True when this build recomputes only the changed figures of an existing table. -#}
{% macro figures_scoped() -%}
    {{ return(is_incremental() and build_is_scoped()) }}
{%- endmacro %}

{#- The materialization of a figure-keyed model: incremental on DuckDB, a table elsewhere. -#}
{% macro figure_materialization() -%}
    {{ return('incremental' if target.type == 'duckdb' else 'table') }}
{%- endmacro %}

{#- A filter: the row (alias) belongs to a figure this build recomputes; true when every figure is rebuilt. -#}
{% macro only_changed_figures(alias) -%}
    {%- if figures_scoped() -%}
        exists (
            select 1 from {{ ref('int_changed_figures') }} as changed
            where
                changed.indicator_code = {{ alias }}.indicator_code
                and changed.region_code = {{ alias }}.region_code
                and changed.period_label = {{ alias }}.period_label
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of an incremental figure model: its rows of the figures recomputed now, or all of them. -#}
{% macro delete_changed_figures() -%}
    {%- if figures_scoped() -%}
        delete from {{ this }} as stale where {{ only_changed_figures("stale") }}
    {%- elif is_incremental() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}
