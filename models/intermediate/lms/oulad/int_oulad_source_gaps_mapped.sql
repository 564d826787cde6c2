{{ config(materialized='ephemeral') }}

{#-
    OULAD's files are checked whole by check_oulad_source (every file is required):
    no optional table or column can be missing. The columns of
    int_moodle_source_gaps_mapped, no rows.
-#}

select
    cast(null as {{ dbt.type_string() }}) as source_table,
    cast(null as {{ dbt.type_string() }}) as check_name,
    cast(null as {{ dbt.type_bigint() }}) as n_rows
where 1 = 0
