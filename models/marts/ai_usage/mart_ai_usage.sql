{#-
    The AI usage report of Moodle's site registration (MDL-82626), any day and
    for any period: one row per provider, action and model, over the actions
    whose timecompleted falls in [timefrom, timeto] (int_ai_actions_in_range;
    by default, as Moodle, from the site's last confirmed registration update, or
    the 7 days up to as_of for a site that is not registered; vars
    ai_usage_timefrom / ai_usage_timeto override). No personal data leaves this model: no user ids, context ids or
    error messages.
-#}

with

actions_in_range as (

    select * from {{ ref('int_ai_actions_in_range') }}

),

{{ ai_usage_aggregate_ctes(
    'actions_in_range',
    ['provider', 'actionname', 'model', 'timefrom', 'timeto', 'timefrom_basis']
) }},

final as (

    select
        usage_counts.provider,
        usage_counts.actionname,
        usage_counts.model,
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
            and usage_counts.model = predominant_errors.model

)

select * from final
