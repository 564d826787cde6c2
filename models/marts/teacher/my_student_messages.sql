{{
    config(
        materialized='view',
        schema='teacher',
        tags=['teacher_access'],
        post_hook="{{ harden_teacher_view() }}"
    )
}}

{#-
    The Telegram messages of this week's outbox (mart_notification_outbox) to
    the students of the database user's courses: what the sender sends (or, with
    can_send false, cannot send: no chat id). The chat id itself stays in the
    mart. What happened to each message is in the sender's delivery log
    (notification_deliveries, keyed by outbox_id), which the web app shows
    beside it where the user may read it.
-#}

with

outbox as (

    select * from {{ ref('mart_notification_outbox') }}

),

final as (

    select
        outbox.outbox_id,
        outbox.enrolment_id,
        outbox.courseid,
        outbox.userid,
        outbox.course_week,
        outbox.transition,
        outbox.from_value,
        outbox.to_value,
        outbox.lang,
        outbox.message_text,
        outbox.can_send
    from outbox
    where outbox.courseid in {{ my_courseids() }}

)

select * from final
