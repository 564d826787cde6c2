with

source as (

    select * from {{ moodle_source('course_modules') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as course_module_id,
        cast(course as {{ dbt.type_bigint() }}) as courseid,
        cast(module as {{ dbt.type_bigint() }}) as module_id,
        cast(instance as {{ dbt.type_bigint() }}) as instance_id,
        cast(section as {{ dbt.type_bigint() }}) as section_id,
        coalesce(cast(visible as {{ dbt.type_bigint() }}) = 1, false) as is_visible,
        cast(added as {{ dbt.type_bigint() }}) as added
    from source

)

select * from renamed
