{#-
    The AI usage report at Moodle's own grain: one row per provider and action
    (all models together), over the same range and rules as mart_ai_usage. It
    feeds the action level of the JSON document: a predominant error or an
    average time over several models cannot be rebuilt from per-model rows.
-#}

with

ai_actions as (

    select
        provider,
        actionname,
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
        ai_actions.is_success,
        ai_actions.errorcode,
        coalesce(ai_actions.provider, 'unknown') as provider,
        coalesce(ai_actions.actionname, 'unknown') as actionname,
        ai_actions.timecompleted - ai_actions.timecreated as duration_seconds
    from ai_actions
    inner join time_range
        on
            ai_actions.timecompleted >= time_range.timefrom
            and ai_actions.timecompleted <= time_range.timeto

),

{{ ai_usage_aggregate_ctes('actions_in_range', ['provider', 'actionname']) }},

final as (

    select
        usage_counts.provider,
        usage_counts.actionname,
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

)

select * from final
