{#-
    OULAD module presentations as courses, in the columns of stg_moodle__courses
    (plus the OULAD codes). courseid numbers the presentations in code order;
    course_shortname is the usual 'AAA 2013J'. A presentation starts at
    oulad_presentation_start() and ends the day after its last day
    (module_presentation_length). Completion tracking is off: OULAD labels come
    from final_result. has_activity_log is false for presentations without any
    click in studentVle: their activity is unknown, not zero. has_teacher_roles
    is false: OULAD records no teachers.
-#}

with

courses as (

    select * from {{ ref('stg_oulad__courses') }}

),

presentations_with_clicks as (

    select distinct
        code_module,
        code_presentation
    from {{ ref('stg_oulad__student_vle_clicks') }}

),

numbered as (

    select
        courses.code_module,
        courses.code_presentation,
        courses.presentation_length_days,
        dense_rank() over (order by courses.code_module, courses.code_presentation) as courseid,
        dense_rank() over (order by courses.code_module) as category_id,
        {{ oulad_presentation_start('courses.code_presentation') }} as startdate,
        presentations_with_clicks.code_module is not null as has_activity_log
    from courses
    left join presentations_with_clicks
        on courses.code_module = presentations_with_clicks.code_module
            and courses.code_presentation = presentations_with_clicks.code_presentation

),

final as (

    select
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(category_id as {{ dbt.type_bigint() }}) as category_id,
        {{ dbt.concat(["'Module '", 'code_module', "', presentation '", 'code_presentation']) }} as course_fullname,
        {{ dbt.concat(['code_module', "' '", 'code_presentation']) }} as course_shortname,
        startdate,
        startdate + (presentation_length_days + 1) * {{ seconds_per_day() }} as enddate,
        true as is_visible,
        false as is_completion_enabled,
        false as is_site_course,
        code_module,
        code_presentation,
        presentation_length_days,
        has_activity_log,
        -- OULAD records no teachers: a presentation's teachers are unknown, not absent
        false as has_teacher_roles
    from numbered

)

select * from final
