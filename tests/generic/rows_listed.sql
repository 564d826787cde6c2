{#-
    Returns the rows of the model matching `condition` (a warning or an error by the
    test's severity) and, when it runs in `dbt build` or `dbt test`, prints them
    in the log, each as its `columns` (up to 50 rows), so that the output names
    the offending ids instead of only "Got 2 results".
-#}
{% test rows_listed(model, condition, columns) %}

{%- set listing_sql -%}
select {{ columns | join(', ') }} from {{ model }} where {{ condition }} order by {{ columns | join(', ') }}
{%- endset -%}

{%- if execute and invocation_args_dict.get('which') in ('build', 'test') -%}
    {%- set relation = adapter.get_relation(model.database, model.schema, model.identifier) -%}
    {%- if relation is not none -%}
        {%- set found = run_query(listing_sql) -%}
        {%- if found.rows | length > 0 -%}
            {%- set lines = [] -%}
            {%- for row in found.rows[:50] -%}
                {%- do lines.append('  ' ~ (row | list | join(' | '))) -%}
            {%- endfor -%}
            {%- do log(
                '[' ~ model.identifier ~ '] ' ~ (found.rows | length) ~ ' row(s) where ' ~ condition
                ~ ' (' ~ (columns | join(' | ')) ~ '):\n' ~ (lines | join('\n')),
                info=True
            ) -%}
        {%- endif -%}
    {%- endif -%}
{%- endif %}

{{ listing_sql }}

{% endtest %}
