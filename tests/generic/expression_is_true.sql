{#-
    Fails with the rows for which the SQL boolean expression is false or NULL.
    With name_columns (a list), the build's output also names those columns of
    the failing rows (macro log_rows), e.g. the ids to fix.
-#}
{% test expression_is_true(model, expression, column_name=none, name_columns=none) %}

{%- if name_columns -%}
    {%- set listing_sql -%}
    select {{ name_columns | join(', ') }} from {{ model }}
    where not coalesce(({{ expression }}), false)
    order by {{ name_columns | join(', ') }}
    {%- endset -%}
    {%- do log_rows(model, listing_sql, 'where not (' ~ expression ~ ')') -%}
{%- endif %}

select * from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
