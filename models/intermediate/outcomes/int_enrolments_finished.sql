{{ config(materialized='view') }}

{#-
    What every source's label rules start from: one row per student enrolment
    of a finished course (enddate < as_of) with the share of the course it
    covered, whether the course tracks completion with criteria, and its
    learning events in the last part of the course (the last
    var label_last_share_of_course, a quarter, before the end date; NULL when
    the course has no activity log). The rules themselves are the source's:
    int_<source>_enrolment_labels_mapped, read by fct_enrolment_outcomes.

    Moodle's validity rules withhold training rows here, once for every
    source: courses with a training exclusion (int_course_validity_checks:
    too long, no learning events) and enrolments that break a sample rule
    (int_enrolment_validity_checks: started too early, after the course end,
    in the future) give no rows.
-#}

with

courses as (

    select * from {{ ref('int_courses_classified') }}
    where course_status = 'finished'

),

courses_without_labels as (

    select distinct courseid from {{ ref('int_course_validity_checks') }}
    where excludes_training_labels

),

invalid_samples as (

    select distinct enrolment_id from {{ ref('int_enrolment_validity_checks') }}

),

enrolments as (

    select * from {{ ref('int_enrolments_resolved') }}

),

events as (

    select
        enrolment_id,
        courseid,
        timecreated
    from {{ ref('int_learning_events_filtered') }}

),

last_part_activity as (

    select
        events.enrolment_id,
        count(*) as n_events_last_part
    from events
    inner join courses
        on events.courseid = courses.courseid
    where events.timecreated >= courses.enddate
        - {{ var('label_last_share_of_course') }} * (courses.enddate - courses.startdate)
        and events.timecreated < courses.enddate
    group by events.enrolment_id

),

final as (

    select
        enrolments.enrolment_id,
        enrolments.courseid,
        enrolments.userid,
        enrolments.enrolled_share_of_course,
        courses.has_activity_log,
        courses.is_completion_enabled and courses.has_completion_criteria as uses_completion_criteria,
        case
            when courses.has_activity_log then coalesce(last_part_activity.n_events_last_part, 0)
        end as n_events_last_part
    from enrolments
    inner join courses
        on enrolments.courseid = courses.courseid
    left join last_part_activity
        on enrolments.enrolment_id = last_part_activity.enrolment_id
    left join courses_without_labels
        on enrolments.courseid = courses_without_labels.courseid
    left join invalid_samples
        on enrolments.enrolment_id = invalid_samples.enrolment_id
    where courses_without_labels.courseid is null
        and invalid_samples.enrolment_id is null

)

select * from final
