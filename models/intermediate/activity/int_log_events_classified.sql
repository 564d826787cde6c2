{#-
    Every row of the standard log, each with the reason it is NOT student
    learning activity (rejection_reason), or NULL when it is. Nothing is dropped
    silently: mart_data_quality counts the rows per reason.

    Reasons, first match wins:
      null_log_id, duplicate_log_id (the same id seen again: the first copy by
      time is kept), null_timecreated, in_the_future (later than the run's
      wall-clock start), after_as_of (later than the run's as_of: stray rows
      the default as_of leaves out, or rows after an as_of set by the var),
      anonymous, not_in_a_course (site level, or a course the project does not
      know or has quarantined), not_learning_activity (not participating and
      not a read of course content, e.g. teacher actions), deleted_user,
      quarantined_user (a duplicated user id, int_users_quarantined),
      not_a_student (no student enrolment in that course), outside_enrolment
      (before the enrolment began or after it ended).

    Only the columns the pipeline needs are stored (event names and the like stay
    in stg_moodle__log_events, joined by log_id): on a large log this table is
    the widest write of the build.

    Events before the course start are kept (course_day < 0) and belong to
    course week 1 in the weekly features.

    Incremental: a run reclassifies only the log rows that can have changed
    (look-back window, late rows, or all rows when enrolments, courses or
    deleted users changed): the rule is in macros/incremental_log.sql.
-#}

{{ config(
    materialized='incremental',
    incremental_strategy='replace_log_rows',
    unique_key='log_id',
    indexes=warehouse_indexes([['log_id'], ['timecreated']]),
) }}

{%- set window = log_reprocess_window(is_incremental()) %}

with

log_events as (

    select * from {{ lms_ref('log_events') }}

),

log_events_to_classify as (

    {% if is_incremental() -%}
        {{ log_rows_to_reprocess_sql(lms_ref('log_events'), window) | indent(4) }}
    {%- else -%}
        select * from log_events
    {%- endif %}

),

as_of as (

    select
        as_of,
        run_started_at
    from {{ ref('int_as_of_resolved') }}

),

courses as (

    select
        courseid,
        startdate
    from {{ ref('int_courses_classified') }}

),

users as (

    -- one row per id (a duplicated id is quarantined below, never a duplicated log row)
    select
        userid,
        max(case when is_deleted then 1 else 0 end) = 1 as is_deleted
    from {{ lms_ref('users') }}
    group by userid

),

quarantined_users as (

    select userid from {{ ref('int_users_quarantined') }}

),

enrolments as (

    select
        enrolment_id,
        courseid,
        userid,
        enrol_start,
        enrol_end
    from {{ ref('int_enrolments_resolved') }}

),

duplicate_ids as (

    select log_id
    from log_events_to_classify
    group by log_id
    having count(*) > 1

),

ranked as (

    -- ranking every row by id is the costliest step on a large log; duplicates are
    -- rare, so only the duplicated ids are ranked
    select
        log_events.*,
        1 as log_row_number
    from log_events_to_classify as log_events
    left join duplicate_ids
        on log_events.log_id = duplicate_ids.log_id
    where duplicate_ids.log_id is null

    union all

    select
        log_events.*,
        row_number() over (
            partition by log_events.log_id
            order by log_events.timecreated, log_events.eventname, log_events.userid
        ) as log_row_number
    from log_events_to_classify as log_events
    inner join duplicate_ids
        on log_events.log_id = duplicate_ids.log_id

),

joined as (

    select
        ranked.log_id,
        ranked.log_row_number,
        ranked.courseid,
        ranked.userid,
        ranked.timecreated,
        ranked.eventname,
        ranked.component,
        ranked.crud,
        ranked.edulevel,
        ranked.contextlevel,
        ranked.contextinstanceid,
        ranked.relateduserid,
        courses.startdate,
        enrolments.enrolment_id,
        case
            when ranked.log_id is null then 'null_log_id'
            when ranked.log_row_number > 1 then 'duplicate_log_id'
            when ranked.timecreated is null then 'null_timecreated'
            when ranked.timecreated > as_of.run_started_at then 'in_the_future'
            when ranked.timecreated > as_of.as_of then 'after_as_of'
            when ranked.is_anonymous then 'anonymous'
            when courses.courseid is null then 'not_in_a_course'
            when not {{ is_learning_event('ranked.edulevel', 'ranked.crud', 'ranked.contextlevel') }}
                then 'not_learning_activity'
            when coalesce(users.is_deleted, false) then 'deleted_user'
            when quarantined_users.userid is not null then 'quarantined_user'
            when enrolments.enrolment_id is null then 'not_a_student'
            when ranked.timecreated < enrolments.enrol_start
                or ranked.timecreated >= enrolments.enrol_end then 'outside_enrolment'
        end as rejection_reason
    from ranked
    cross join as_of
    left join courses
        on ranked.courseid = courses.courseid
    left join users
        on ranked.userid = users.userid
    left join quarantined_users
        on ranked.userid = quarantined_users.userid
    left join enrolments
        on ranked.courseid = enrolments.courseid
            and ranked.userid = enrolments.userid

),

final as (

    select
        log_id,
        log_row_number,
        rejection_reason,
        courseid,
        userid,
        timecreated,
        case when rejection_reason is null then enrolment_id end as enrolment_id,
        case when contextlevel = 70 then contextinstanceid end as course_module_id,
        case
            when rejection_reason is null then {{ course_day_of('timecreated', 'startdate') }}
        end as course_day,
        case
            when rejection_reason is null then {{ activity_kind('component', 'eventname', 'crud') }}
        end as activity_kind,
        case
            when rejection_reason is null then {{ cognitive_depth('component', 'eventname', 'crud') }}
        end as cognitive_depth,
        case
            when rejection_reason is null
                then {{ social_breadth('component', 'crud', 'userid', 'relateduserid') }}
        end as social_breadth
    from joined

)

select * from final
