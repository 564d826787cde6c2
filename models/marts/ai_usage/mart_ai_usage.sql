{#-
    The AI usage report of Moodle's site registration (MDL-82626), any day and
    for any period: one row per provider, action and model, over the actions
    whose timecompleted falls in [timefrom, timeto] (both inclusive, as in Moodle).
    Range: vars ai_usage_timefrom / ai_usage_timeto (Unix seconds or UTC date);
    by default the 7 days up to as_of. No personal data leaves this model:
    no user ids, context ids or error messages.
-#}

with

ai_actions as (

    select
        provider,
        actionname,
        model,
        is_success,
        errorcode,
        timecreated,
        timecompleted
    from {{ ref('stg_moodle__ai_actions') }}

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

actions_in_range as (

    select
        coalesce(ai_actions.provider, 'unknown') as provider,
        coalesce(ai_actions.actionname, 'unknown') as actionname,
        {{ ai_usage_model_name('ai_actions.model') }} as model,
        ai_actions.is_success,
        ai_actions.errorcode,
        ai_actions.timecompleted - ai_actions.timecreated as duration_seconds
    from ai_actions
    inner join time_range
        on
            ai_actions.timecompleted >= time_range.timefrom
            and ai_actions.timecompleted <= time_range.timeto

),

{{ ai_usage_aggregate_ctes('actions_in_range', ['provider', 'actionname', 'model']) }},

final as (

    select
        usage_counts.provider,
        usage_counts.actionname,
        usage_counts.model,
        usage_counts.success_count,
        usage_counts.fail_count,
        predominant_errors.predominant_error,
        {{ ai_usage_rounded_mean('usage_counts.success_time', 'usage_counts.success_count') }} as average_time,
        time_range.timefrom,
        time_range.timeto
    from usage_counts
    cross join time_range
    left join predominant_errors
        on
            usage_counts.provider = predominant_errors.provider
            and usage_counts.actionname = predominant_errors.actionname
            and usage_counts.model = predominant_errors.model

)

select * from final
