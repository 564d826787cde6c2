{#-
    What the student card needs to contact a student by hand (issue 19): one row
    per active enrolment (int_enrolments_active) with its current week, whether the
    student can be reached on Telegram (and why not), the next deadline, and the
    draft message a curator edits, rendered from seeds/notification_templates.csv
    (part manual, variant default) in the student's language exactly like the
    outbox messages (macros/notifications.sql: values never searched for
    placeholders). early_warning.notify.manual reads it; the sending itself goes
    through the delivery log, at most once per form.
-#}

with

-- imports
as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

courses as (

    select
        courseid,
        course_fullname
    from {{ ref('int_courses_classified') }}

),

active_enrolments as (

    select
        enrolment_id,
        courseid,
        userid
    from {{ ref('int_enrolments_active') }}

),

users as (

    select * from {{ lms_ref('users') }}

),

current_weeks as (

    select
        enrolment_id,
        course_week,
        days_since_last_activity
    from {{ ref('mart_student_activity') }}
    where is_current

),

chat_ids as (

    select
        userid,
        chat_id
    from {{ ref('int_user_telegram_chats') }}

),

next_steps as (

    select
        enrolment_id,
        next_step_kind,
        activity_name,
        due_at,
        cast({{ epoch_to_timestamp('due_at') }} as {{ dbt.type_string() }}) as due_text
    from {{ ref('int_student_next_deadlines') }}

),

templates as (

    select
        lang,
        part,
        variant,
        template
    from {{ ref('notification_templates') }}

),

-- the students, their language, chat and next step
students as (

    select
        userid,
        nullif(trim(firstname), '') as firstname,
        nullif(trim(lastname), '') as lastname,
        {{ notification_lang('lang') }} as lang
    from users

),

assembled as (

    select
        active_enrolments.enrolment_id,
        active_enrolments.courseid,
        courses.course_fullname,
        active_enrolments.userid,
        students.firstname,
        students.lastname,
        students.lang,
        current_weeks.course_week,
        current_weeks.days_since_last_activity,
        chat_ids.chat_id,
        next_steps.activity_name as next_activity_name,
        next_steps.due_at as next_due_at,
        next_steps.due_text,
        as_of.as_of,
        drafts.template as body_template,
        greetings.template as greeting_template,
        steps.template as next_step_template,
        coalesce(next_steps.next_step_kind, 'open_course') as next_step_kind
    from active_enrolments
    cross join as_of
    inner join students
        on active_enrolments.userid = students.userid
    inner join courses
        on active_enrolments.courseid = courses.courseid
    left join current_weeks
        on active_enrolments.enrolment_id = current_weeks.enrolment_id
    left join chat_ids
        on active_enrolments.userid = chat_ids.userid
    left join next_steps
        on active_enrolments.enrolment_id = next_steps.enrolment_id
    left join templates as drafts
        on students.lang = drafts.lang
            and drafts.part = 'manual'
            and drafts.variant = 'default'
    left join templates as greetings
        on students.lang = greetings.lang
            and greetings.part = 'greeting'
            and greetings.variant = case when students.firstname is null then 'anonymous' else 'named' end
    left join templates as steps
        on students.lang = steps.lang
            and steps.part = 'next_step'
            and steps.variant = coalesce(next_steps.next_step_kind, 'open_course')

),

{%- set values = [
    ('days_inactive', 'days_since_last_activity'),
    ('due_year', 'substring(due_text, 1, 4)'),
    ('due_month', 'substring(due_text, 6, 2)'),
    ('due_day', 'substring(due_text, 9, 2)'),
    ('due_time', 'substring(due_text, 12, 5)'),
    ('activity', 'next_activity_name'),
    ('course', 'course_fullname'),
    ('firstname', 'firstname'),
] -%}
{%- set composed = dbt.replace(
    dbt.replace("coalesce(body_template, '')", "'{greeting}'", "coalesce(greeting_template, '{greeting}')"),
    "'{next_step}'", "coalesce(next_step_template, '{next_step}')"
) %}

rendered as (

    select
        assembled.*,
        {{ notification_render(composed, values) }} as escaped_text
    from assembled

),

final as (

    select
        cast(enrolment_id as {{ dbt.type_string() }}) as enrolment_id,
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(course_fullname as {{ dbt.type_string() }}) as course_fullname,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(
            trim({{ dbt.concat(["coalesce(firstname, '')", "' '", "coalesce(lastname, '')"]) }})
            as {{ dbt.type_string() }}
        ) as student_name,
        cast(course_week as {{ dbt.type_bigint() }}) as course_week,
        cast(lang as {{ dbt.type_string() }}) as lang,
        cast(chat_id as {{ dbt.type_string() }}) as chat_id,
        cast(chat_id is not null as boolean) as can_contact,
        cast(
            case
                when chat_id is null
                    then 'The student has not connected Telegram in Moodle (no chat id): contact them another way.'
            end as {{ dbt.type_string() }}
        ) as contact_blocked_reason,
        cast(next_step_kind as {{ dbt.type_string() }}) as next_step_kind,
        cast(next_activity_name as {{ dbt.type_string() }}) as next_activity_name,
        cast({{ epoch_to_timestamp('next_due_at') }} as {{ dbt.type_timestamp() }}) as next_due_at,
        cast(
            case
                when body_template is not null and not {{ notification_unfilled('escaped_text') }}
                    then {{ notification_unescape('escaped_text') }}
                else ''
            end as {{ dbt.type_string() }}
        ) as draft_text,
        cast({{ epoch_to_timestamp('as_of') }} as {{ dbt.type_timestamp() }}) as as_of
    from rendered

)

select * from final
