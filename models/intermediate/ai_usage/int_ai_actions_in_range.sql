{#-
    The AI actions the report counts: those whose timecompleted falls in
    [timefrom, timeto], both ends included, as in Moodle
    (core\hub\registration::get_ai_usage_data). Range: vars ai_usage_timefrom /
    ai_usage_timeto (Unix seconds or UTC date); by default the 7 days up to
    as_of (macros/ai_usage.sql). Each row carries the range, so the report
    marts group by it.
-#}

with

actions as (

    select * from {{ ref('int_ai_actions_completed') }}

),

as_of_resolved as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

time_range as (

    select
        {{ ai_usage_timefrom('as_of') }} as timefrom,
        {{ ai_usage_timeto('as_of') }} as timeto
    from as_of_resolved

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
        time_range.timeto
    from actions
    inner join time_range
        on
            actions.timecompleted >= time_range.timefrom
            and actions.timecompleted <= time_range.timeto

)

select * from final
