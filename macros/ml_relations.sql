{#-
    The relation of a table the classifiers produce. On DuckDB the dbt Python
    models of python_models/ build them: ref(). Other engines have no Python
    models: the scheduled job `early-warning ml-job` (early_warning.ml.warehouse_job)
    writes the same tables into <target schema>_ml, declared as source ml_job
    (python_models/_ml_job__sources.yml). The Python models are disabled there.
-#}
{% macro ml_relation(name) -%}
    {%- if target.type == 'duckdb' -%}
        {{ ref(name) }}
    {%- else -%}
        {{ source('ml_job', name) }}
    {%- endif -%}
{%- endmacro %}
