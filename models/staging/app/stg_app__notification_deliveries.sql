{#-
    The delivery log of the notification sender (source app.notification_deliveries):
    one row per attempt. Manual messages have outbox_id 'manual:<enrolment_id>:<n>',
    transition 'manual' and sent_by. No rows while the log does not exist yet.
-#}

with

source as (

    {{ app_source_or_empty('notification_deliveries', [
        ('outbox_id', dbt.type_string()),
        ('attempt_no', dbt.type_int()),
        ('run_id', dbt.type_string()),
        ('status', dbt.type_string()),
        ('started_at', dbt.type_timestamp()),
        ('finished_at', dbt.type_timestamp()),
        ('http_status', dbt.type_int()),
        ('telegram_message_id', dbt.type_bigint()),
        ('enrolment_id', dbt.type_string()),
        ('courseid', dbt.type_bigint()),
        ('userid', dbt.type_bigint()),
        ('course_week', dbt.type_bigint()),
        ('transition', dbt.type_string()),
        ('sent_by', dbt.type_string()),
    ]) }}

),

final as (

    select
        outbox_id,
        attempt_no,
        run_id,
        status,
        started_at,
        finished_at,
        http_status,
        telegram_message_id,
        enrolment_id,
        courseid,
        userid,
        course_week,
        transition,
        sent_by,
        coalesce(outbox_id like 'manual:%', false) as is_manual
    from source

)

select * from final
