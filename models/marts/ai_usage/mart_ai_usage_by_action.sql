{#-
    The AI usage report at Moodle's own grain: one row per provider and action
    (all models together), over the same range and rules as mart_ai_usage
    (int_ai_actions_in_range). It feeds the action level of the JSON document:
    a predominant error or an average time over several models cannot be
    rebuilt from per-model rows.
-#}

with

actions_in_range as (

    select * from {{ ref('int_ai_actions_in_range') }}

),

{{ ai_usage_aggregate_ctes('actions_in_range', ['provider', 'actionname', 'timefrom', 'timeto', 'timefrom_basis']) }},

final as (

    select
        usage_counts.provider,
        usage_counts.actionname,
        usage_counts.success_count,
        usage_counts.fail_count,
        predominant_errors.predominant_error,
        {{ ai_usage_rounded_mean('usage_counts.success_time', 'usage_counts.success_count') }} as average_time,
        usage_counts.timefrom,
        usage_counts.timeto,
        usage_counts.timefrom_basis,
        usage_counts.first_register_id
    from usage_counts
    left join predominant_errors
        on
            usage_counts.provider = predominant_errors.provider
            and usage_counts.actionname = predominant_errors.actionname

)

select * from final
