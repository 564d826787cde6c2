with

source as (

    select * from {{ moodle_source('course') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as courseid,
        cast(category as {{ dbt.type_bigint() }}) as category_id,
        cast(fullname as {{ dbt.type_string() }}) as course_fullname,
        cast(shortname as {{ dbt.type_string() }}) as course_shortname,
        cast(startdate as {{ dbt.type_bigint() }}) as startdate,
        nullif(cast(enddate as {{ dbt.type_bigint() }}), 0) as enddate,
        coalesce(cast(visible as {{ dbt.type_bigint() }}) = 1, false) as is_visible,
        coalesce(cast(enablecompletion as {{ dbt.type_bigint() }}) = 1, false) as is_completion_enabled,
        coalesce(cast(category as {{ dbt.type_bigint() }}) = 0, false) as is_site_course,
        -- Moodle logs every course in one site-wide log: no activity means none, never unknown
        true as has_activity_log,
        -- Moodle records who teaches a course (role assignments): a course without one has none
        true as has_teacher_roles
    from source

)

select * from renamed
