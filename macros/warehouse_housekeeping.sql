{#-
    Housekeeping of the DuckDB warehouse (README "Model registry", "Incremental runs").
-#}

{#-
    post-hook of the dbt Python models (python_models/classifiers, dbt_project.yml):
    drop the `<identifier>__dbt_tmp<timestamp>` tables an incremental run leaves.
    Cause: dbt-duckdb's incremental materialization asks for a *temporary* relation
    (make_temp_relation: no schema, temporary=True) for the new rows, but a Python
    model's result is written by the Python submission as a real table in the default
    schema (main), and the materialization drops only non-temporary relations it
    created itself, so every incremental run left one table behind. Also removes those
    left by earlier runs. No-op elsewhere than DuckDB and for SQL models.
-#}
{% macro drop_leaked_temp_relations() %}
    {%- if not execute or target.type != 'duckdb' or model.language != 'python' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set prefix = this.identifier ~ '__dbt_tmp' -%}
    {%- set leaked = run_query(
        "select table_catalog, table_schema, table_name from information_schema.tables"
        ~ " where table_catalog = current_database() and starts_with(table_name, '" ~ prefix ~ "')"
        ~ " and table_type = 'BASE TABLE'"
    ) -%}
    {%- for row in leaked.rows -%}
        {%- do run_query('drop table if exists "' ~ row[0] ~ '"."' ~ row[1] ~ '"."' ~ row[2] ~ '"') -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{#-
    `dbt run-operation drop_model_registry`: the one documented way to drop the model
    registry (ml_model_registry), which --full-refresh keeps. Every trained model
    version is lost; the next build retrains. DuckDB only (elsewhere the registry is a
    table of `early-warning ml-job`: drop it there).
-#}
{% macro drop_model_registry() %}
    {%- set node = graph.nodes.get('model.early_warning.ml_model_registry') -%}
    {%- if node is none or target.type != 'duckdb' -%}
        {{ exceptions.raise_compiler_error(
            "drop_model_registry works on the DuckDB target, where dbt builds ml_model_registry. On "
            ~ target.type ~ " the registry is written by `early-warning ml-job`: drop its table there."
        ) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- if relation is none -%}
        {{ log("No model registry to drop (" ~ node.schema ~ "." ~ node.alias ~ " does not exist).", info=True) }}
    {%- else -%}
        {%- set counted = run_query("select count(*) from " ~ relation) -%}
        {%- do adapter.drop_relation(relation) -%}
        {%- do adapter.commit() -%}
        {{ log("Dropped the model registry " ~ relation ~ " (" ~ counted.rows[0][0]
            ~ " model versions). The next `dbt build` trains new models.", info=True) }}
    {%- endif -%}
{% endmacro %}
