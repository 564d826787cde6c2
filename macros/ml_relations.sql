{#-
    The DuckDB / other-engine split of the classifiers, for SQL. On DuckDB the dbt
    Python models of python_models/classifiers build the classifiers' tables
    (dbt-duckdb runs Python models in-process). Other engines have no Python
    models: the scheduled job `early-warning ml-job` (early_warning.ml.warehouse_job)
    writes the same tables into <target schema>_ml, declared as source ml_job
    (models/ml/_ml__sources.yml). The Python models' schema and enablement are set
    in dbt_project.yml (classifiers), the source's in its yml; the named selectors
    before_ml / ml_and_after (selectors.yml) cut the daily run around the job.
-#}

{#- True when dbt itself runs the classifiers (the Python models exist on this target). -#}
{% macro ml_runs_in_dbt() -%}
    {{ return(target.type == 'duckdb') }}
{%- endmacro %}

{#-
    The relation of one of the classifiers' tables: ref() of the Python model on
    DuckDB, the source ml_job elsewhere. Called only by the thin typed models of
    models/ml; everything downstream reads those.
-#}
{% macro ml_relation(name) -%}
    {%- if ml_runs_in_dbt() -%}
        {{ ref(name) }}
    {%- else -%}
        {{ source('ml_job', name) }}
    {%- endif -%}
{%- endmacro %}
