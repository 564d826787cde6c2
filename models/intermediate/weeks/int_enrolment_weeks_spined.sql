{#-
    The sample grid: one row per student enrolment and course week, from the
    enrolment's first_week to its last_week (see int_enrolments_resolved), with
    the week's bounds and feature cutoff.
-#}

with

enrolments as (

    select * from {{ ref('int_enrolments_resolved') }}

),

course_weeks as (

    select * from {{ ref('int_course_weeks_spined') }}

),

final as (

    select
        enrolments.enrolment_id,
        enrolments.courseid,
        enrolments.userid,
        course_weeks.course_week,
        course_weeks.week_start,
        course_weeks.week_end,
        course_weeks.feature_cutoff,
        course_weeks.is_complete_week,
        enrolments.first_week,
        enrolments.enrol_start
    from enrolments
    inner join course_weeks
        on enrolments.courseid = course_weeks.courseid
            and course_weeks.course_week between enrolments.first_week and enrolments.last_week

)

select * from final
