with

source as (

    select * from {{ moodle_source('grade_items') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as grade_item_id,
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(itemtype as {{ dbt.type_string() }}) as itemtype,
        cast(itemmodule as {{ dbt.type_string() }}) as itemmodule,
        cast(iteminstance as {{ dbt.type_bigint() }}) as iteminstance,
        cast(grademax as {{ type_double() }}) as grademax,
        cast(gradepass as {{ type_double() }}) as gradepass
    from source

)

select * from renamed
