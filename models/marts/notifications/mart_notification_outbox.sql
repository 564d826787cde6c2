{#-
    The notification outbox: the Telegram messages to send to students now.

    One row per (enrolment, current course week, transition):
    * category_worsened: the enrolment's current category is more severe than
      last week's (mart_student_activity.change_direction = 'worsened');
    * risk_band_up (var notify_on_risk_band): the dropout risk band of
      mart_student_scores went up since the previous week and reached at least
      var notify_risk_band_min. When the category worsened too, only the
      category message is listed: one message per student, course and week.
    Only the current week of the enrolments active at as_of
    (int_enrolments_active: running course, started and not ended, neither the
    enrolment nor the user suspended). An enrolment-week whose prediction someone
    marked incorrectly_flagged (int_prediction_feedback_latest) is not listed.

    outbox_id = '<enrolment_id>:<course_week>:<transition>': the same on every
    rebuild, so the sender's delivery log (notifications.notification_deliveries)
    sends each row at most once. Students without a Telegram chat id
    (int_user_telegram_chats) are kept (can_send = false) so that curators can
    reach them another way.

    message_text is rendered from seeds/notification_templates.csv (lang, part,
    variant, template): the body of the transition embeds {greeting} and
    {next_step}; the next step is the student's next deadline
    (int_student_next_deadlines), or "open the course" when there is none.
-#}

{%- set notify_on_risk_band = var('notify_on_risk_band', true) -%}
{%- set band_rank = {'low': 1, 'medium': 2, 'high': 3} -%}
{%- set min_band = var('notify_risk_band_min', 'medium') | string | trim -%}
{%- if min_band not in band_rank -%}
    {{ exceptions.raise_compiler_error(
        "var notify_risk_band_min = '" ~ min_band ~ "': give low, medium or high"
    ) }}
{%- endif -%}

with

-- imports
as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

courses as (

    select * from {{ ref('int_courses_classified') }}

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

activity as (

    select * from {{ ref('mart_student_activity') }}

),

band_scores as (

    {% if notify_on_risk_band -%}
        select
            enrolment_id,
            course_week,
            risk_band
        from {{ ref('mart_student_scores') }}
    {%- else -%}
        -- var notify_on_risk_band is false: no risk band transitions
        select
            cast(null as {{ dbt.type_string() }}) as enrolment_id,
            cast(null as {{ dbt.type_bigint() }}) as course_week,
            cast(null as {{ dbt.type_string() }}) as risk_band
        where 1 = 0
    {%- endif %}

),

flagged_incorrectly as (

    select distinct
        enrolment_id,
        course_week
    from {{ ref('int_prediction_feedback_latest') }}
    where feedback_value = 'incorrectly_flagged'

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

-- who is concerned: the current week of the active enrolments (all in running courses)
running_courses as (

    select
        courseid,
        course_fullname
    from courses
    where course_status = 'running'

),

students as (

    select
        userid,
        nullif(trim(firstname), '') as firstname,
        nullif(trim(lastname), '') as lastname,
        {{ notification_lang('lang') }} as lang
    from users

),

current_weeks as (

    select
        activity.enrolment_id,
        activity.courseid,
        activity.userid,
        activity.course_week,
        activity.week_end,
        activity.category,
        activity.previous_category,
        activity.change_direction,
        activity.days_since_last_activity
    from activity
    inner join active_enrolments
        on activity.enrolment_id = active_enrolments.enrolment_id
    where activity.is_current

),

category_transitions as (

    select
        enrolment_id,
        courseid,
        userid,
        course_week,
        week_end,
        days_since_last_activity,
        'category_worsened' as transition,
        previous_category as from_value,
        category as to_value
    from current_weeks
    where change_direction = 'worsened'

),

ranked_scores as (

    select
        enrolment_id,
        course_week,
        risk_band,
        case risk_band
            {%- for band, rank in band_rank.items() %}
                when '{{ band }}' then {{ rank }}
            {%- endfor %}
        end as band_rank
    from band_scores

),

scores as (

    select
        enrolment_id,
        course_week,
        risk_band,
        band_rank,
        lag(risk_band) over (partition by enrolment_id order by course_week) as previous_risk_band,
        lag(band_rank) over (partition by enrolment_id order by course_week) as previous_band_rank
    from ranked_scores

),

risk_transitions as (

    select
        current_weeks.enrolment_id,
        current_weeks.courseid,
        current_weeks.userid,
        current_weeks.course_week,
        current_weeks.week_end,
        current_weeks.days_since_last_activity,
        'risk_band_up' as transition,
        scores.previous_risk_band as from_value,
        scores.risk_band as to_value
    from current_weeks
    inner join scores
        on current_weeks.enrolment_id = scores.enrolment_id
            and current_weeks.course_week = scores.course_week
    where scores.band_rank > scores.previous_band_rank
        and scores.band_rank >= {{ band_rank[min_band] }}
        and coalesce(current_weeks.change_direction, 'none') <> 'worsened'

),

all_transitions as (

    select * from category_transitions
    union all
    select * from risk_transitions

),

transitions as (

    select all_transitions.*
    from all_transitions
    left join flagged_incorrectly
        on all_transitions.enrolment_id = flagged_incorrectly.enrolment_id
            and all_transitions.course_week = flagged_incorrectly.course_week
    where flagged_incorrectly.enrolment_id is null

),

assembled as (

    select
        transitions.enrolment_id,
        transitions.courseid,
        running_courses.course_fullname,
        transitions.userid,
        students.firstname,
        students.lastname,
        transitions.course_week,
        transitions.week_end,
        transitions.transition,
        transitions.from_value,
        transitions.to_value,
        transitions.days_since_last_activity,
        next_steps.activity_name as next_activity_name,
        next_steps.due_at as next_due_at,
        next_steps.due_text,
        chat_ids.chat_id,
        students.lang,
        as_of.as_of,
        bodies.template as body_template,
        greetings.template as greeting_template,
        steps.template as next_step_template,
        coalesce(next_steps.next_step_kind, 'open_course') as next_step_kind
    from transitions
    cross join as_of
    inner join students
        on transitions.userid = students.userid
    inner join running_courses
        on transitions.courseid = running_courses.courseid
    left join chat_ids
        on transitions.userid = chat_ids.userid
    left join next_steps
        on transitions.enrolment_id = next_steps.enrolment_id
    left join templates as bodies
        on students.lang = bodies.lang
            and transitions.transition = bodies.part
            and transitions.to_value = bodies.variant
    left join templates as greetings
        on students.lang = greetings.lang
            and greetings.part = 'greeting'
            and greetings.variant = case when students.firstname is null then 'anonymous' else 'named' end
    left join templates as steps
        on students.lang = steps.lang
            and steps.part = 'next_step'
            and steps.variant = coalesce(next_steps.next_step_kind, 'open_course')

),

{#-
    Rendering (macros/notifications.sql): the body embeds the fragments first
    ({greeting}, {next_step}: trusted seed text that holds placeholders itself;
    a missing fragment stays as its placeholder), then every value is substituted
    with its braces neutralised, so no value is ever searched for placeholders (a
    name 'Grace {course}' or a course 'Intro {firstname}' is shown as written).
    A placeholder left unfilled, a missing template or a text longer than Telegram's
    4096 characters sets render_problem, and the row is not sendable: one bad row
    never stops the build nor the other messages.
-#}
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

checked as (

    select
        rendered.*,
        {{ notification_unescape('rendered.escaped_text') }} as message_text,
        case
            when rendered.body_template is null then 'no_template'
            when {{ notification_unfilled('rendered.escaped_text') }} then 'unfilled_placeholder'
            when length(rendered.escaped_text) > 4096 then 'too_long'
        end as render_problem
    from rendered

),

final as (

    select
        cast({{ dbt.concat([
            'enrolment_id', "':'", 'cast(course_week as ' ~ dbt.type_string() ~ ')', "':'", 'transition'
        ]) }} as {{ dbt.type_string() }}) as outbox_id,
        cast(enrolment_id as {{ dbt.type_string() }}) as enrolment_id,
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(course_fullname as {{ dbt.type_string() }}) as course_fullname,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(
            trim({{ dbt.concat(["coalesce(firstname, '')", "' '", "coalesce(lastname, '')"]) }})
            as {{ dbt.type_string() }}
        ) as student_name,
        cast(course_week as {{ dbt.type_bigint() }}) as course_week,
        cast(week_end as {{ dbt.type_timestamp() }}) as week_end,
        cast(transition as {{ dbt.type_string() }}) as transition,
        cast(from_value as {{ dbt.type_string() }}) as from_value,
        cast(to_value as {{ dbt.type_string() }}) as to_value,
        cast(days_since_last_activity as {{ dbt.type_bigint() }}) as days_since_last_activity,
        cast(next_step_kind as {{ dbt.type_string() }}) as next_step_kind,
        cast(next_activity_name as {{ dbt.type_string() }}) as next_activity_name,
        cast({{ epoch_to_timestamp('next_due_at') }} as {{ dbt.type_timestamp() }}) as next_due_at,
        cast(chat_id as {{ dbt.type_string() }}) as chat_id,
        cast(lang as {{ dbt.type_string() }}) as lang,
        cast(message_text as {{ dbt.type_string() }}) as message_text,
        cast(render_problem as {{ dbt.type_string() }}) as render_problem,
        cast(chat_id is not null and render_problem is null as boolean) as can_send,
        cast({{ epoch_to_timestamp('as_of') }} as {{ dbt.type_timestamp() }}) as as_of
    from checked

)

select * from final
