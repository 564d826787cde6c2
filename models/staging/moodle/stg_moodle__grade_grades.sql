with

source as (

    select * from {{ moodle_source('grade_grades') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as grade_grade_id,
        cast(itemid as {{ dbt.type_bigint() }}) as grade_item_id,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(finalgrade as {{ type_double() }}) as finalgrade,
        cast(timemodified as {{ dbt.type_bigint() }}) as timemodified
    from source

)

select * from renamed
