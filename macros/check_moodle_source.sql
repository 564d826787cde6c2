{#-
    on-run-start: check the raw Moodle tables against the source contract, by table
    and by column (macros/moodle_source.sql), before anything runs. A missing
    required table or column stops the run with one message naming each table and
    every missing column (and the table's optional columns); missing optional tables
    and columns give one warning and are read as empty / NULL (counted in
    mart_data_quality).
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
    {%- set contract = moodle_source_contract() -%}
    {%- set required = [] -%}
    {%- for name, spec in contract.items() if not spec.optional -%}
        {%- do required.append(name) -%}
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
    {{ check_moodle_source_columns() }}
    {{ return('') }}
{% endmacro %}

{#-
    The column part of the check (the tables are there): every missing required
    column fails the run, named with its table; missing optional tables and columns
    are listed in one warning.
-#}
{% macro check_moodle_source_columns() %}
    {%- set where = "moodle_files_path '" ~ var('moodle_files_path') ~ "'" if var('moodle_source') == 'files'
        else "schema '" ~ var('moodle_schema') ~ "' (prefix '" ~ var('moodle_table_prefix') ~ "')" -%}
    {%- set missing_required = {} -%}
    {%- set optional_of = {} -%}
    {%- set missing_optional = [] -%}
    {%- for gap in moodle_source_gaps() -%}
        {%- if gap.optional -%}
            {%- do missing_optional.append(gap.table if gap.column is none else gap.table ~ '.' ~ gap.column) -%}
        {%- elif gap.column is not none -%}
            {%- do missing_required.setdefault(gap.table, []).append(gap.column) -%}
            {%- do optional_of.update({gap.table: gap.optional_columns}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing_required -%}
        {%- set lines = [] -%}
        {%- for table, columns in missing_required.items() -%}
            {%- set optional = optional_of[table] -%}
            {%- do lines.append("table " ~ table ~ " lacks the required column" ~ ("s " if columns | length > 1 else " ")
                ~ (columns | join(', ')) ~ " (optional columns of " ~ table ~ ", read as NULL when missing: "
                ~ ((optional | join(', ')) if optional else 'none') ~ ")") -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "Raw Moodle tables in " ~ where ~ " do not match the source contract: " ~ (lines | join('; '))
            ~ ". Export these columns with Moodle's own names (README 'Source contract' lists what each"
            ~ " table needs), then run again."
        ) }}
    {%- endif -%}
    {%- if missing_optional -%}
        {{ log(
            "Warning: optional Moodle tables/columns missing in " ~ where ~ ", read as empty (tables) or NULL"
            ~ " (columns): " ~ (missing_optional | join(', ')) ~ ". The build goes on; mart_data_quality"
            ~ " counts them (README 'Source contract').", info=True
        ) }}
    {%- endif -%}
{% endmacro %}
