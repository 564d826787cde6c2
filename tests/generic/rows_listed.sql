{#-
    Returns the rows of the model matching `condition` (a warning or an error by
    the test's severity) and prints them in the build's output, each as its
    `columns` (macro log_rows), so that the output names the offending ids.
-#}
{% test rows_listed(model, condition, columns) %}

{%- set listing_sql -%}
select {{ columns | join(', ') }} from {{ model }} where {{ condition }} order by {{ columns | join(', ') }}
{%- endset -%}

{%- do log_rows(model, listing_sql, 'where ' ~ condition) -%}

{{ listing_sql }}

{% endtest %}
