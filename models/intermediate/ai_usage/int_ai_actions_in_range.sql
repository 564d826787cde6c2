{#-
    The AI actions the report counts: those whose timecompleted falls in
    [timefrom, timeto], both ends included, as in Moodle
    (core\hub\registration::get_ai_usage_data). Range, as Moodle's
    get_ai_usage_time_range(): timeto = as_of; timefrom = the last confirmed
    update of the site's registration with the moodle.org sites directory
    (registration_hubs, var moodle_hub_url), or timeto - 7 days when the site is
    not registered. The vars ai_usage_timefrom / ai_usage_timeto override either
    bound (macros/ai_usage.sql). Each row carries the range and where timefrom
    came from, so the report marts group by them.
-#}

with

actions as (

    select * from {{ ref('int_ai_actions_completed') }}

),

as_of_resolved as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

registrations as (

    select
        huburl,
        is_confirmed,
        timemodified
    from {{ lms_ref('registration_hubs') }}

),

last_registration as (

    select max(timemodified) as registered_at
    from registrations
    where
        is_confirmed
        and huburl = '{{ var("moodle_hub_url") }}'
        and timemodified > 0

),

time_range as (

    select
        {{ ai_usage_timefrom('as_of_resolved.as_of', 'last_registration.registered_at') }} as timefrom,
        {{ ai_usage_timeto('as_of_resolved.as_of') }} as timeto,
        {{ ai_usage_timefrom_basis('as_of_resolved.as_of', 'last_registration.registered_at') }} as timefrom_basis
    from as_of_resolved
    cross join last_registration

),

final as (

    select
        actions.ai_action_id,
        actions.provider,
        actions.actionname,
        actions.model,
        actions.is_success,
        actions.errorcode,
        actions.duration_seconds,
        time_range.timefrom,
        time_range.timeto,
        time_range.timefrom_basis
    from actions
    inner join time_range
        on
            actions.timecompleted >= time_range.timefrom
            and actions.timecompleted <= time_range.timeto

)

select * from final
