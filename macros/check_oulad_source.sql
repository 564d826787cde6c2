{#-
    on-run-start (lms_source: oulad): make sure every OULAD file or table exists
    before anything runs, once, and say what is missing and how to fix it.
    files mode (DuckDB): <oulad_files_path>/<table>.csv or <table>.csv.gz (the
    official names: courses, assessments, vle, studentInfo, studentRegistration,
    studentAssessment, studentVle), exactly one of the two;
    database mode: tables of those names in schema oulad_schema.
-#}
{% macro check_oulad_source() %}
    {%- if not execute or flags.WHICH not in ('run', 'build', 'test', 'seed', 'snapshot') -%}
        {{ return('') }}
    {%- endif -%}
    {%- if lms_source() != 'oulad' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set required = [] -%}
    {%- for node in graph.sources.values() if node.source_name == 'oulad' -%}
        {%- do required.append(node.name) -%}
    {%- endfor -%}
    {%- set mode = var('oulad_source', 'files') -%}
    {%- if mode == 'files' -%}
        {%- if target.type != 'duckdb' -%}
            {{ exceptions.raise_compiler_error(
                "oulad_source = 'files' works on DuckDB only. On " ~ target.type
                ~ ", load the OULAD files into the warehouse (python -m early_warning.oulad load --source <folder>)"
                ~ " and run with --vars '{lms_source: oulad, oulad_source: database}'."
            ) }}
        {%- endif -%}
        {%- set folder = var('oulad_files_path', '../shared/datasets/oulad') -%}
        {%- set found_rows = run_query("select file from glob('" ~ folder ~ "/*.csv*')") -%}
        {%- set found = {} -%}
        {%- for row in found_rows -%}
            {%- set file_name = row[0].replace('\\', '/').split('/')[-1] -%}
            {%- set base = file_name.split('.csv')[0] -%}
            {%- do found.update({base: found.get(base, []) + [file_name]}) -%}
        {%- endfor -%}
        {%- set missing = [] -%}
        {%- set doubled = [] -%}
        {%- for name in required -%}
            {%- if name not in found -%}
                {%- do missing.append(name ~ '.csv') -%}
            {%- elif found[name] | length > 1 -%}
                {%- do doubled.append(found[name] | join(' and ')) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "OULAD files missing in oulad_files_path '" ~ folder ~ "': " ~ (missing | join(', '))
                ~ " (plain or .gz). Unzip the official anonymisedData.zip there, or point the var"
                ~ " oulad_files_path at the folder that holds them."
            ) }}
        {%- endif -%}
        {%- if doubled -%}
            {{ exceptions.raise_compiler_error(
                "OULAD files present twice in oulad_files_path '" ~ folder ~ "': " ~ (doubled | join('; '))
                ~ ". Keep one copy of each (plain or gzipped), or every row would be read twice."
            ) }}
        {%- endif -%}
    {%- elif mode == 'database' -%}
        {%- set schema = var('oulad_schema', 'oulad_raw') -%}
        {%- set missing = missing_warehouse_tables(schema, required) -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "OULAD tables missing in the warehouse: " ~ (missing | join(', '))
                ~ ". Load them (python -m early_warning.oulad load --source <folder>), or set the var"
                ~ " oulad_schema to the schema that holds them."
            ) }}
        {%- endif -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "oulad_source must be 'files' or 'database', not '" ~ mode ~ "'."
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
