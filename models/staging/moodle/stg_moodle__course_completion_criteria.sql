with

source as (

    select * from {{ moodle_source('course_completion_criteria') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as criteria_id,
        cast(course as {{ dbt.type_bigint() }}) as courseid,
        cast(criteriatype as {{ dbt.type_bigint() }}) as criteriatype
    from source

)

select * from renamed
