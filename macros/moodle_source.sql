{#-
    The Moodle source contract, checked by column (README "Source contract").

    The contract is the source `moodle` (models/staging/moodle/_moodle__sources.yml):
    for each table, the columns the staging models read with their logical types
    (int64, float64, string: early_warning/moodle_schema.py), and `meta: {optional: true}`
    on the tables and columns a Moodle site may lack. Columns a table has beyond the
    contract are ignored.

      moodle_source_contract()         {table: {'optional': bool, 'columns': [{name, data_type, optional}]}}
      moodle_source_present_columns(t) the lowercase column names of raw table t, none when it is missing
      moodle_source_gaps()             what the raw tables lack: one dict per missing table or column
      moodle_source(t)                 what a staging model selects from: source('moodle', t), or a
                                       subquery that fills a missing optional column with NULL, or an
                                       empty typed subquery for a missing optional table
-#}

{% macro moodle_source_contract() -%}
    {%- set contract = {} -%}
    {%- for node in graph.sources.values() if node.source_name == 'moodle' -%}
        {%- set table_meta = node.meta or {} -%}
        {%- set columns = [] -%}
        {%- for column in node.columns.values() -%}
            {%- set column_meta = column.meta or {} -%}
            {%- do columns.append({
                'name': column.name | lower,
                'data_type': column.data_type or 'string',
                'optional': (column_meta.get('optional', false) | string | lower) == 'true'
            }) -%}
        {%- endfor -%}
        {%- do contract.update({node.name: {
            'optional': (table_meta.get('optional', false) | string | lower) == 'true',
            'columns': columns
        }}) -%}
    {%- endfor -%}
    {{ return(contract) }}
{%- endmacro %}

{#- The SQL type of a contract column's logical type. -#}
{% macro moodle_contract_type(data_type) -%}
    {%- if data_type == 'int64' -%}{{ dbt.type_bigint() }}
    {%- elif data_type == 'float64' -%}{{ type_double() }}
    {%- else -%}{{ dbt.type_string() }}
    {%- endif -%}
{%- endmacro %}

{#- Does introspection make sense now (a command that runs SQL, at execution time)? -#}
{% macro moodle_source_introspects() -%}
    {{ return(execute and flags.WHICH in ('run', 'build', 'test', 'compile', 'show', 'seed', 'snapshot')) }}
{%- endmacro %}

{#-
    The lowercase column names of one raw Moodle table, or none when the table is
    missing. files mode: the header / schema of <moodle_files_path>/<table>.<format>;
    database mode: information_schema.columns of <moodle_schema>.<prefix><table>.
-#}
{% macro moodle_source_present_columns(table) -%}
    {%- set mode = var('moodle_source') -%}
    {%- if mode == 'files' -%}
        {%- set folder = var('moodle_files_path') -%}
        {%- set ext = var('moodle_files_format') -%}
        {%- set path = folder ~ '/' ~ table ~ '.' ~ ext -%}
        {%- set found = run_query("select count(*) from glob('" ~ path ~ "')") -%}
        {%- if found.rows[0][0] == 0 -%}
            {{ return(none) }}
        {%- endif -%}
        {%- if ext == 'csv' -%}
            {%- set reader = "read_csv('" ~ path ~ "', header = true, all_varchar = true)" -%}
        {%- else -%}
            {%- set reader = "read_parquet('" ~ path ~ "')" -%}
        {%- endif -%}
        {%- set described = run_query("describe select * from " ~ reader) -%}
        {%- set names = [] -%}
        {%- for row in described.rows -%}
            {%- do names.append(row[0] | lower) -%}
        {%- endfor -%}
        {{ return(names) }}
    {%- else -%}
        {%- set rows = run_query(
            "select lower(column_name) from information_schema.columns"
            ~ " where table_schema = '" ~ var('moodle_schema') ~ "'"
            ~ " and lower(table_name) = lower('" ~ var('moodle_table_prefix') ~ table ~ "')"
        ) -%}
        {%- if rows.rows | length == 0 -%}
            {{ return(none) }}
        {%- endif -%}
        {%- set names = [] -%}
        {%- for row in rows.rows -%}
            {%- do names.append(row[0]) -%}
        {%- endfor -%}
        {{ return(names) }}
    {%- endif -%}
{%- endmacro %}

{#-
    What the raw tables lack, against the contract: a list of dicts
    {table, column (none for a whole table), optional, optional_columns (of the table)},
    in the order of the contract. Empty outside execution.
-#}
{% macro moodle_source_gaps() -%}
    {%- set gaps = [] -%}
    {%- if not moodle_source_introspects() -%}
        {{ return(gaps) }}
    {%- endif -%}
    {%- set contract = moodle_source_contract() -%}
    {%- for table, spec in contract.items() -%}
        {%- set optional_columns = [] -%}
        {%- for column in spec.columns if column.optional -%}
            {%- do optional_columns.append(column.name) -%}
        {%- endfor -%}
        {%- set present = moodle_source_present_columns(table) -%}
        {%- if present is none -%}
            {%- do gaps.append({'table': table, 'column': none, 'optional': spec.optional,
                                'optional_columns': optional_columns}) -%}
        {%- else -%}
            {%- for column in spec.columns if column.name not in present -%}
                {%- do gaps.append({'table': table, 'column': column.name, 'optional': column.optional,
                                    'optional_columns': optional_columns}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(gaps) }}
{%- endmacro %}

{#-
    What a Moodle staging model selects from (`select * from {{ moodle_source('user') }}`):
    the raw table itself when it has every contract column; else a subquery with the
    contract's columns, NULL (typed) for the missing optional ones; an empty typed
    subquery when an optional table is missing (subqueries carry their alias, raw_<table>). A missing required table or column is
    left to fail: check_moodle_source (on-run-start) has already said which.
-#}
{% macro moodle_source(table) -%}
    {%- set relation = source('moodle', table) -%}
    {%- if not moodle_source_introspects() -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set spec = moodle_source_contract()[table] -%}
    {%- set present = moodle_source_present_columns(table) -%}
    {%- if present is none -%}
        {%- if not spec.optional -%}
            {{ return(relation) }}
        {%- endif -%}
        {%- set selected = [] -%}
        {%- for column in spec.columns -%}
            {%- do selected.append('cast(null as ' ~ moodle_contract_type(column.data_type) ~ ') as ' ~ adapter.quote(column.name)) -%}
        {%- endfor -%}
        {{ return('(select ' ~ (selected | join(', ')) ~ ' where 1 = 0) as raw_' ~ table) }}
    {%- endif -%}
    {%- set missing = [] -%}
    {%- for column in spec.columns if column.name not in present -%}
        {%- do missing.append(column) -%}
    {%- endfor -%}
    {%- if missing | length == 0 -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set selected = [] -%}
    {%- for column in spec.columns -%}
        {%- if column.name in present -%}
            {%- do selected.append(adapter.quote(column.name)) -%}
        {%- elif column.optional -%}
            {%- do selected.append('cast(null as ' ~ moodle_contract_type(column.data_type) ~ ') as ' ~ adapter.quote(column.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('(select ' ~ (selected | join(', ')) ~ ' from ' ~ relation ~ ' as raw_source) as raw_' ~ table) }}
{%- endmacro %}
