{{ config(contract={'enforced': true}) }}

{#-
    One row per active student enrolment (int_enrolments_active: running
    course, enrolment started and not ended, neither it nor the user's account
    suspended): the student's category now, whether it changed since the
    previous week and since the previous run, the dropout and completion
    probabilities with their main reasons, and the Telegram chat id when known
    (int_user_telegram_chats).
    The row curators and admins open first; restrict it per teacher with
    mart_course_access.
-#}

with

activity as (

    select * from {{ ref('mart_student_activity') }}
    where is_current

),

active_enrolments as (

    select enrolment_id from {{ ref('int_enrolments_active') }}

),

courses as (

    select * from {{ ref('int_courses_classified') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

users as (

    select * from {{ lms_ref('users') }}

),

telegram_chats as (

    select * from {{ ref('int_user_telegram_chats') }}

),

history as (

    select * from {{ ref('mart_student_category_history') }}

),

scores as (

    select * from {{ ref('mart_student_scores') }}

),

previous_runs as (

    select
        history.enrolment_id,
        history.category,
        row_number() over (partition by history.enrolment_id order by history.run_as_of desc) as recency
    from history
    cross join as_of
    where history.run_as_of < as_of.as_of

),

final as (

    select
        cast(activity.enrolment_id as {{ dbt.type_string() }}) as enrolment_id,
        cast(activity.courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(courses.course_shortname as {{ dbt.type_string() }}) as course_shortname,
        cast(courses.course_fullname as {{ dbt.type_string() }}) as course_fullname,
        cast(activity.userid as {{ dbt.type_bigint() }}) as userid,
        cast(users.firstname as {{ dbt.type_string() }}) as firstname,
        cast(users.lastname as {{ dbt.type_string() }}) as lastname,
        cast(activity.course_week as {{ dbt.type_bigint() }}) as course_week,
        cast(activity.category as {{ dbt.type_string() }}) as category,
        cast(activity.category_reason as {{ dbt.type_string() }}) as category_reason,
        cast(activity.previous_category as {{ dbt.type_string() }}) as previous_category,
        cast(activity.category_changed as boolean) as category_changed,
        cast(activity.change_direction as {{ dbt.type_string() }}) as change_direction,
        cast(previous_runs.category as {{ dbt.type_string() }}) as previous_run_category,
        cast(
            coalesce(previous_runs.category <> activity.category, false) as boolean
        ) as changed_since_previous_run,
        cast(activity.weeks_in_category as {{ dbt.type_bigint() }}) as weeks_in_category,
        cast(activity.days_since_last_activity as {{ dbt.type_bigint() }}) as days_since_last_activity,
        cast(activity.last_activity_at as {{ dbt.type_timestamp() }}) as last_activity_at,
        cast(activity.falling_asleep_since as {{ dbt.type_timestamp() }}) as falling_asleep_since,
        cast(activity.asleep_since as {{ dbt.type_timestamp() }}) as asleep_since,
        cast(scores.p_dropout as {{ type_double() }}) as p_dropout,
        cast(scores.p_completion as {{ type_double() }}) as p_completion,
        cast(scores.risk_band as {{ dbt.type_string() }}) as risk_band,
        cast(scores.reason_1 as {{ dbt.type_string() }}) as reason_1,
        cast(scores.reason_2 as {{ dbt.type_string() }}) as reason_2,
        cast(scores.reason_3 as {{ dbt.type_string() }}) as reason_3,
        cast(scores.dropout_model_version as {{ dbt.type_string() }}) as dropout_model_version,
        cast(scores.score_note as {{ dbt.type_string() }}) as score_note,
        cast(telegram_chats.chat_id as {{ dbt.type_string() }}) as telegram_chat_id
    from activity
    inner join active_enrolments
        on activity.enrolment_id = active_enrolments.enrolment_id
    inner join courses
        on activity.courseid = courses.courseid
    inner join users
        on activity.userid = users.userid
    left join previous_runs
        on activity.enrolment_id = previous_runs.enrolment_id and previous_runs.recency = 1
    left join scores
        on activity.enrolment_id = scores.enrolment_id and activity.course_week = scores.course_week
    left join telegram_chats
        on activity.userid = telegram_chats.userid

)

select * from final
