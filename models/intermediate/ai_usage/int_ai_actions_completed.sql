{#-
    Every AI action of the site's AI subsystem (Moodle's ai_action_register)
    that completed, as the AI usage report counts it: provider and action name
    ('unknown' when Moodle recorded none), the model ('unknown' when NULL or
    blank), success, error code, duration (timecompleted - timecreated,
    seconds) and the calendar week of the completion (Monday 00:00 UTC). No
    user ids, context ids or error messages. Actions without a completion time
    are in no report.
-#}

with

ai_actions as (

    select
        ai_action_id,
        provider,
        actionname,
        model,
        is_success,
        errorcode,
        timecreated,
        timecompleted
    from {{ lms_ref('ai_actions') }}
    where timecompleted is not null

),

final as (

    select
        ai_action_id,
        coalesce(provider, 'unknown') as provider,
        coalesce(actionname, 'unknown') as actionname,
        {{ ai_usage_model_name('model') }} as model,
        is_success,
        errorcode,
        timecompleted,
        timecompleted - timecreated as duration_seconds,
        {{ ai_usage_week_start('timecompleted') }} as week_start
    from ai_actions

)

select * from final
