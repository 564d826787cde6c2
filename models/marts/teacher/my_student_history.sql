{{
    config(
        materialized='view',
        schema='teacher',
        tags=['teacher_access'],
        post_hook="{{ harden_teacher_view() }}"
    )
}}

{#-
    The week-by-week history of every student enrolment of the database user's
    courses, for the student card: the category (mart_student_activity), the
    week's activity and assignments so far (int_enrolment_week_features), and
    the probabilities (mart_student_scores: courses running at as_of; NULL
    elsewhere).
-#}

with

activity as (

    select * from {{ ref('mart_student_activity') }}
    where courseid in {{ my_courseids() }}

),

features as (

    select
        enrolment_id,
        userid,
        course_week,
        n_events,
        n_active_days,
        assignments_due_so_far,
        assignments_submitted_so_far,
        assignments_on_time_so_far,
        assignments_late_so_far,
        assignments_missing_so_far
    from {{ ref('int_enrolment_week_features') }}
    where courseid in {{ my_courseids() }}

),

scores as (

    select
        enrolment_id,
        userid,
        course_week,
        p_dropout,
        p_completion,
        risk_band,
        reason_1,
        reason_2,
        reason_3
    from {{ ref('mart_student_scores') }}
    where courseid in {{ my_courseids() }}

),

final as (

    select
        activity.enrolment_id,
        activity.courseid,
        activity.userid,
        activity.course_week,
        activity.week_end,
        activity.is_complete_week,
        activity.is_current,
        activity.category,
        activity.change_direction,
        activity.days_since_last_activity,
        features.n_events,
        features.n_active_days,
        features.assignments_due_so_far,
        features.assignments_submitted_so_far,
        features.assignments_on_time_so_far,
        features.assignments_late_so_far,
        features.assignments_missing_so_far,
        scores.p_dropout,
        scores.p_completion,
        scores.risk_band,
        scores.reason_1,
        scores.reason_2,
        scores.reason_3
    from activity
    left join features
        on activity.enrolment_id = features.enrolment_id
            and activity.course_week = features.course_week
            -- implied by the enrolment, and lets a filter on userid reach both tables
            and activity.userid = features.userid
    left join scores
        on activity.enrolment_id = scores.enrolment_id
            and activity.course_week = scores.course_week
            and activity.userid = scores.userid

)

select * from final
