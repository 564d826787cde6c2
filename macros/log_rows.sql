{#-
    Prints the rows of `listing_sql` (up to 50) in the build's output when a data
    test runs in `dbt build` or `dbt test` and its model exists, so that a warning
    or a failure names the offending ids instead of only "Got 2 results". Used by
    the generic tests rows_listed and expression_is_true (argument name_columns).
-#}
{% macro log_rows(model, listing_sql, heading) -%}
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
                    '[' ~ model.identifier ~ '] ' ~ (found.rows | length) ~ ' row(s) ' ~ heading
                    ~ ' (' ~ (found.column_names | join(' | ')) ~ '):\n' ~ (lines | join('\n')),
                    info=True
                ) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
