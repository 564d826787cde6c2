{#-
    dbt's `indexes` config of the large incremental tables, on the engines that need
    them: PostgreSQL (row store) finds the rows a daily run deletes and recomputes
    through them. DuckDB reads its columnar zone maps instead (an ART index would cost
    memory and slow every delete); other engines get none. dbt creates the indexes
    when it creates the table (first build, --full-refresh): an existing PostgreSQL
    warehouse gets them with one `dbt build --full-refresh`. The var warehouse_indexes
    (default true) set to false creates none (a DBA manages them; the benchmark's
    --postgres-no-indexes).

    Usage in a model's config: indexes=warehouse_indexes([['courseid', 'course_week']])
-#}
{% macro warehouse_indexes(column_lists) -%}
    {{ return(adapter.dispatch('warehouse_indexes', 'early_warning')(column_lists)) }}
{%- endmacro %}

{% macro default__warehouse_indexes(column_lists) -%}
    {{ return([]) }}
{%- endmacro %}

{% macro postgres__warehouse_indexes(column_lists) -%}
    {%- set indexes = [] -%}
    {%- if (var('warehouse_indexes', true) | string | lower) in ('false', '0', 'no') -%}
        {{ return(indexes) }}
    {%- endif -%}
    {%- for columns in column_lists -%}
        {%- do indexes.append({'columns': columns}) -%}
    {%- endfor -%}
    {{ return(indexes) }}
{%- endmacro %}
