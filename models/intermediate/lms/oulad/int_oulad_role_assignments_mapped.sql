{{ config(materialized='view') }}

{#-
    OULAD's roles in the canonical columns of role assignments: every
    registered student holds the student role in the presentation (a course).
    OULAD names no teachers or managers, so nobody gets teacher access
    (mart_course_access stays empty).
-#}

with

registrations as (

    select * from {{ ref('int_oulad_user_enrolments_mapped') }}

),

final as (

    select distinct
        userid,
        'student' as role_shortname,
        'course' as context_level,
        courseid as instance_id
    from registrations

)

select * from final
