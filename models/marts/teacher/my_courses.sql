{{
    config(
        materialized='view',
        schema='teacher',
        tags=['teacher_access'],
        post_hook="{{ harden_teacher_view() }}"
    )
}}

{#-
    The courses the database user may see, as Moodle grants
    `moodle/analytics:listinsights` (mart_course_access): a teacher's database
    role is named like their Moodle username (after the var teacher_role_prefix).
    One row per course and role assignment.
-#}

with

access as (

    select
        courseid,
        username,
        role_shortname,
        granted_at
    from {{ ref('mart_course_access') }}

),

courses as (

    select
        courseid,
        course_fullname,
        course_shortname
    from {{ ref('int_courses_classified') }}

),

final as (

    select
        access.courseid,
        courses.course_fullname,
        courses.course_shortname,
        access.role_shortname,
        access.granted_at
    from access
    inner join courses
        on access.courseid = courses.courseid
    where access.username = {{ current_moodle_username() }}

)

select * from final
