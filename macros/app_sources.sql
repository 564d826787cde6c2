{#-
    The tables the tools write outside dbt (source `app`: the notification sender's
    delivery log, the web app's prediction feedback) exist only once a tool has written
    to them. app_source_or_empty(table, columns) selects `columns` from the source
    table when it exists, and an empty typed relation when it does not (a fresh
    warehouse builds); a column the table does not have yet (a log created by an older
    sender) reads as NULL. columns: [(name, type_sql), ...].
-#}
{% macro app_source_or_empty(table_name, columns) -%}
    {%- set relation = source('app', table_name) -%}
    {%- set found = none -%}
    {%- set existing = [] -%}
    {%- if execute -%}
        {%- set found = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) -%}
        {%- if found is not none -%}
            {%- for column in adapter.get_columns_in_relation(found) -%}
                {%- do existing.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif %}
    select
        {%- for name, type_sql in columns %}
            {% if name in existing -%}
                cast({{ name }} as {{ type_sql }})
            {%- else -%}
                cast(null as {{ type_sql }})
            {%- endif %} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    {% if found is not none -%}
        from {{ relation }}
    {%- else -%}
        -- {{ relation }} does not exist yet: no rows
        where 1 = 0
    {%- endif %}
{%- endmacro %}
