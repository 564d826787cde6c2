with

source as (

    select * from {{ moodle_source('course_completions') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as course_completion_id,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(course as {{ dbt.type_bigint() }}) as courseid,
        nullif(cast(timeenrolled as {{ dbt.type_bigint() }}), 0) as timeenrolled,
        nullif(cast(timestarted as {{ dbt.type_bigint() }}), 0) as timestarted,
        nullif(cast(timecompleted as {{ dbt.type_bigint() }}), 0) as timecompleted
    from source

)

select * from renamed
