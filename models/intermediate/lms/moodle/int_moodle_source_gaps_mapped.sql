{#-
    What the raw Moodle tables lack against the source contract, found at the start
    of the run (macros/moodle_source.sql): one row per missing optional table
    (read as empty) and per missing optional column (read as NULL). A missing
    required table or column never gets here: the run stops at its start.
    source_table is the table, or table.column for a column.
-#}

{%- set gaps = [] -%}
{%- for gap in moodle_source_gaps() if gap.optional -%}
    {%- do gaps.append(gap) -%}
{%- endfor %}

with

gaps as (

    {% for gap in gaps -%}
    select
        cast('{{ gap.table if gap.column is none else gap.table ~ "." ~ gap.column }}' as {{ dbt.type_string() }}) as source_table,
        cast('{{ "optional_table_missing" if gap.column is none else "optional_column_missing" }}' as {{ dbt.type_string() }}) as check_name,
        cast(1 as {{ dbt.type_bigint() }}) as n_rows
    {% if not loop.last %}union all
    {% endif -%}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as source_table,
        cast(null as {{ dbt.type_string() }}) as check_name,
        cast(null as {{ dbt.type_bigint() }}) as n_rows
    where 1 = 0
    {%- endfor %}

),

final as (

    select
        source_table,
        check_name,
        n_rows
    from gaps

)

select * from final
