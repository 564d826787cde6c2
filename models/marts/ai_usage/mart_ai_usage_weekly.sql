{#-
    Weekly history of the AI usage report, so trends show: one row per provider
    and calendar week (Monday 00:00 UTC to the next Monday, half-open), from the
    provider's first completed action to the week of as_of; weeks without actions
    are kept with zero counts. Actions count in the week of their timecompleted,
    up to as_of (inclusive); the ai_usage_timefrom/timeto vars do not apply here
    (int_ai_actions_completed).
-#}

with

as_of_resolved as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

actions as (

    select * from {{ ref('int_ai_actions_completed') }}

),

as_of_week as (

    select
        as_of,
        {{ ai_usage_week_start('as_of') }} as as_of_week_start
    from as_of_resolved

),

completed_actions as (

    select
        actions.ai_action_id,
        actions.provider,
        actions.week_start,
        actions.is_success,
        actions.errorcode,
        actions.duration_seconds
    from actions
    cross join as_of_week
    where actions.timecompleted <= as_of_week.as_of

),

provider_spans as (

    select
        completed_actions.provider,
        min(completed_actions.week_start) as first_week_start,
        cast(
            (max(as_of_week.as_of_week_start) - min(completed_actions.week_start))
            / {{ seconds_per_week() }} as {{ dbt.type_bigint() }}
        ) + 1 as n_weeks
    from completed_actions
    cross join as_of_week
    group by completed_actions.provider

),

week_numbers as (

    {{ integers_from_one('(select coalesce(max(n_weeks), 0) from provider_spans)') }}

),

week_spine as (

    select
        provider_spans.provider,
        provider_spans.first_week_start + (week_numbers.n - 1) * {{ seconds_per_week() }} as week_start
    from provider_spans
    inner join week_numbers
        on provider_spans.n_weeks >= week_numbers.n

),

{{ ai_usage_aggregate_ctes('completed_actions', ['provider', 'week_start']) }},

final as (

    select
        week_spine.provider,
        week_spine.week_start,
        week_spine.week_start + {{ seconds_per_week() }} as week_end,
        {{ epoch_to_date('week_spine.week_start') }} as week_start_date,
        coalesce(usage_counts.success_count, 0) as success_count,
        coalesce(usage_counts.fail_count, 0) as fail_count,
        case
            when coalesce(usage_counts.success_count, 0) + coalesce(usage_counts.fail_count, 0) > 0
                then cast(usage_counts.success_count as double precision)
                    / (usage_counts.success_count + usage_counts.fail_count)
        end as success_rate,
        {{ ai_usage_rounded_mean('usage_counts.success_time', 'usage_counts.success_count') }} as average_time,
        predominant_errors.predominant_error,
        week_spine.week_start + {{ seconds_per_week() }} <= as_of_week.as_of + 1 as is_complete_week
    from week_spine
    cross join as_of_week
    left join usage_counts
        on
            week_spine.provider = usage_counts.provider
            and week_spine.week_start = usage_counts.week_start
    left join predominant_errors
        on
            week_spine.provider = predominant_errors.provider
            and week_spine.week_start = predominant_errors.week_start

)

select * from final
