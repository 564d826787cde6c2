{#-
    Did contacting help? One row per worsened transition (mart_student_activity:
    a course week whose category is more severe than the previous week's), whether
    the student was contacted about it and whether they were active again within 7
    and 14 days.

    * observed_at: when the transition was known, the end of the worsened week, or
      as_of for the current week (least of the two).
    * Contacted: a message the delivery log (stg_app__notification_deliveries)
      records as sent: the automatic outbox row of that enrolment and week, or a
      manual message from the student card sent in that week or the next one (the
      log's course_week, not the wall clock: replays of old data still match).
    * contact_group: contacted; not_contacted_no_chat (no Telegram chat id at
      as_of: they could not be reached, the natural comparison group);
      not_contacted_with_chat (reachable, but no message was delivered).
    * Active again within N days: some learning activity (fct_activity_daily) in
      [observed_at, observed_at + N days); NULL while observed_at + N days is
      after as_of (not observable yet).

    Observational, not proof of effect: the groups differ in more than the message
    (who connects Telegram is not random). Transitions are the final weekly
    categories: a student who came back within the same week no longer shows a
    worsened week, which undercounts quick returns.
-#}

with

-- imports
as_of as (

    select {{ epoch_to_timestamp('as_of') }} as as_of_at
    from {{ ref('int_as_of_resolved') }}

),

worsened as (

    select
        enrolment_id,
        courseid,
        userid,
        course_week,
        week_end,
        previous_category,
        category
    from {{ ref('mart_student_activity') }}
    where change_direction = 'worsened'

),

chat_ids as (

    select
        userid,
        chat_id
    from {{ ref('int_user_telegram_chats') }}

),

delivered as (

    select
        enrolment_id,
        course_week,
        is_manual,
        finished_at
    from {{ ref('stg_app__notification_deliveries') }}
    where status = 'sent'

),

activity_days as (

    select
        enrolment_id,
        {{ epoch_to_timestamp('first_event_at') }} as first_event_at,
        {{ epoch_to_timestamp('last_event_at') }} as last_event_at
    from {{ ref('fct_activity_daily') }}

),

-- when each transition was known, and its windows
transitions as (

    select
        worsened.enrolment_id,
        worsened.courseid,
        worsened.userid,
        worsened.course_week,
        worsened.week_end,
        worsened.previous_category,
        worsened.category,
        as_of.as_of_at,
        case when worsened.week_end < as_of.as_of_at then worsened.week_end else as_of.as_of_at end
            as observed_at
    from worsened
    cross join as_of

),

windows as (

    select
        transitions.*,
        {{ dbt.dateadd('day', 7, 'observed_at') }} as observed_plus_7d,
        {{ dbt.dateadd('day', 14, 'observed_at') }} as observed_plus_14d
    from transitions

),

contacts as (

    select
        windows.enrolment_id,
        windows.course_week,
        max(case when not delivered.is_manual then 1 else 0 end) as has_automatic,
        max(case when delivered.is_manual then 1 else 0 end) as has_manual,
        min(delivered.finished_at) as first_contacted_at
    from windows
    inner join delivered
        on windows.enrolment_id = delivered.enrolment_id
            and (
                (not delivered.is_manual and windows.course_week = delivered.course_week)
                or (
                    delivered.is_manual
                    and delivered.course_week between windows.course_week and windows.course_week + 1
                )
            )
    group by windows.enrolment_id, windows.course_week

),

returns as (

    select
        windows.enrolment_id,
        windows.course_week,
        max(case when activity_days.first_event_at < windows.observed_plus_7d then 1 else 0 end)
            as came_back_7d,
        max(case when activity_days.first_event_at < windows.observed_plus_14d then 1 else 0 end)
            as came_back_14d
    from windows
    inner join activity_days
        on windows.enrolment_id = activity_days.enrolment_id
            and windows.observed_at <= activity_days.last_event_at
    group by windows.enrolment_id, windows.course_week

),

joined as (

    select
        windows.*,
        contacts.first_contacted_at,
        chat_ids.chat_id is not null as has_chat_id,
        coalesce(returns.came_back_7d, 0) = 1 as came_back_7d,
        coalesce(returns.came_back_14d, 0) = 1 as came_back_14d,
        windows.observed_plus_7d <= windows.as_of_at as is_observable_7d,
        windows.observed_plus_14d <= windows.as_of_at as is_observable_14d,
        case
            when contacts.has_automatic = 1 and contacts.has_manual = 1 then 'automatic_and_manual'
            when contacts.has_automatic = 1 then 'automatic'
            when contacts.has_manual = 1 then 'manual'
        end as contact_kind
    from windows
    left join contacts
        on windows.enrolment_id = contacts.enrolment_id
            and windows.course_week = contacts.course_week
    left join returns
        on windows.enrolment_id = returns.enrolment_id
            and windows.course_week = returns.course_week
    left join chat_ids
        on windows.userid = chat_ids.userid

),

final as (

    select
        cast(enrolment_id as {{ dbt.type_string() }}) as enrolment_id,
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(course_week as {{ dbt.type_bigint() }}) as course_week,
        cast(week_end as {{ dbt.type_timestamp() }}) as week_end,
        cast(previous_category as {{ dbt.type_string() }}) as from_category,
        cast(category as {{ dbt.type_string() }}) as to_category,
        cast(observed_at as {{ dbt.type_timestamp() }}) as observed_at,
        cast(has_chat_id as boolean) as has_chat_id,
        cast(contact_kind is not null as boolean) as is_contacted,
        cast(contact_kind as {{ dbt.type_string() }}) as contact_kind,
        cast(first_contacted_at as {{ dbt.type_timestamp() }}) as first_contacted_at,
        cast(
            case
                when contact_kind is not null then 'contacted'
                when not has_chat_id then 'not_contacted_no_chat'
                else 'not_contacted_with_chat'
            end as {{ dbt.type_string() }}
        ) as contact_group,
        cast(is_observable_7d as boolean) as is_observable_7d,
        cast(case when is_observable_7d then came_back_7d end as boolean) as is_active_within_7d,
        cast(is_observable_14d as boolean) as is_observable_14d,
        cast(case when is_observable_14d then came_back_14d end as boolean) as is_active_within_14d
    from joined

)

select * from final
