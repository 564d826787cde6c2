{#-
    on-run-start: make sure every raw Moodle table the project reads exists
    before anything runs, and say which are missing and how to fix it.
    files mode (DuckDB): <moodle_files_path>/<table>.<moodle_files_format>;
    database mode: <moodle_schema>.<moodle_table_prefix><table>.
-#}
{% macro check_moodle_source() %}
    {%- if not execute or flags.WHICH not in ('run', 'build', 'test', 'seed', 'snapshot') -%}
        {{ return('') }}
    {%- endif -%}
    {%- if lms_source() != 'moodle' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set required = [] -%}
    {%- for node in graph.sources.values() if node.source_name == 'moodle' -%}
        {%- do required.append(node.name) -%}
    {%- endfor -%}
    {%- set mode = var('moodle_source') -%}
    {%- if mode == 'files' -%}
        {%- if target.type != 'duckdb' -%}
            {{ exceptions.raise_compiler_error(
                "moodle_source = 'files' works on DuckDB only. On " ~ target.type
                ~ ", load the raw tables into the warehouse and run with --vars '{moodle_source: database}'."
            ) }}
        {%- endif -%}
        {%- set folder = var('moodle_files_path') -%}
        {%- set ext = var('moodle_files_format') -%}
        {%- if ext not in ('parquet', 'csv') -%}
            {{ exceptions.raise_compiler_error("moodle_files_format must be 'parquet' or 'csv', not '" ~ ext ~ "'.") }}
        {%- endif -%}
        {%- set found_rows = run_query("select file from glob('" ~ folder ~ "/*." ~ ext ~ "')") -%}
        {%- set found = [] -%}
        {%- for row in found_rows -%}
            {%- do found.append(row[0].replace('\\', '/').split('/')[-1][: -(ext | length + 1)]) -%}
        {%- endfor -%}
        {%- set missing = [] -%}
        {%- for name in required if name not in found -%}
            {%- do missing.append(name ~ '.' ~ ext) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "Raw Moodle tables missing in moodle_files_path '" ~ folder ~ "': " ~ (missing | join(', '))
                ~ ". Export them there (file name = Moodle table name without prefix), point the var"
                ~ " moodle_files_path at the right folder, or generate the demo site with"
                ~ " `python -m early_warning.demo --out " ~ folder ~ "`."
            ) }}
        {%- endif -%}
    {%- elif mode == 'database' -%}
        {%- set schema = var('moodle_schema') -%}
        {%- set prefix = var('moodle_table_prefix') -%}
        {%- set names = [] -%}
        {%- for name in required -%}
            {%- do names.append(prefix ~ name) -%}
        {%- endfor -%}
        {%- set missing = missing_warehouse_tables(schema, names) -%}
        {%- if missing | length == names | length -%}
            {%- set schema_rows = run_query(
                "select schema_name from information_schema.schemata where schema_name = '" ~ schema ~ "'"
            ) -%}
            {%- if schema_rows | length == 0 -%}
                {{ exceptions.raise_compiler_error(
                    "Schema '" ~ schema ~ "' (var moodle_schema) does not exist in database '"
                    ~ target.database ~ "': the raw Moodle tables are expected there. Load them"
                    ~ " (python -m early_warning.loader --source <folder> --schema " ~ schema
                    ~ "; README 'PostgreSQL'), or set the var moodle_schema to the schema that holds them."
                ) }}
            {%- endif -%}
        {%- endif -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "Raw Moodle tables missing in the warehouse: " ~ (missing | join(', '))
                ~ ". Load them (see README, 'Point it at real data'), or set the vars moodle_schema"
                ~ " and moodle_table_prefix to where they are."
            ) }}
        {%- endif -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "moodle_source must be 'files' or 'database', not '" ~ mode ~ "'."
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
