{#-
    Custom schemas are used as-is (staging, intermediate, marts) rather than
    prefixed with the target schema, so admins find the marts at `marts.*`.
    On PostgreSQL the target schema prefixes them (ew_staging, ew_marts) to keep
    one project per database tidy.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.type == 'duckdb' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
