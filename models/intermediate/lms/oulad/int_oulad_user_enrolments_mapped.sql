{#-
    OULAD registrations as user enrolments, in the canonical columns (courseid,
    userid, starts_at, ends_at, is_active; the students' role is in
    int_oulad_role_assignments_mapped): one row per student and presentation. The enrolment starts on the registration
    day (the presentation start when it is missing) and ends at the end of the
    unregistration day; it stays open when the student did not unregister.
-#}

with

registrations as (

    select * from {{ ref('stg_oulad__student_registrations') }}

),

courses as (

    select
        courseid,
        code_module,
        code_presentation,
        startdate
    from {{ ref('int_oulad_courses_mapped') }}

),

final as (

    select
        courses.courseid,
        registrations.student_id as userid,
        coalesce(
            courses.startdate + registrations.registration_day * {{ seconds_per_day() }},
            courses.startdate
        ) as starts_at,
        courses.startdate + (registrations.unregistration_day + 1) * {{ seconds_per_day() }} as ends_at,
        true as is_active
    from registrations
    inner join courses
        on registrations.code_module = courses.code_module
            and registrations.code_presentation = courses.code_presentation

)

select * from final
