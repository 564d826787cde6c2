with

source as (

    select * from {{ source('moodle', 'grade_items') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as grade_item_id,
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(itemtype as {{ dbt.type_string() }}) as itemtype,
        cast(itemmodule as {{ dbt.type_string() }}) as itemmodule,
        cast(iteminstance as {{ dbt.type_bigint() }}) as iteminstance,
        cast(grademax as {{ dbt.type_float() }}) as grademax,
        cast(gradepass as {{ dbt.type_float() }}) as gradepass
    from source

)

select * from renamed
