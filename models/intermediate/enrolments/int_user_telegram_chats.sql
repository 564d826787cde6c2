{{ config(materialized='view') }}

{#-
    Each user's Telegram chat id: the one definition used by mart_student_current
    and the notification outbox. Moodle's Telegram message output keeps it as a
    user preference (var moodle_telegram_chat_preference,
    early_warning.moodle_schema.TELEGRAM_CHAT_PREFERENCE); the value is trimmed,
    blank values are no chat id, and when a user has several such preferences
    (Moodle keeps one per user and name; a copy may hold more) the newest
    (highest preference id) wins. Users without one have no row. Sources
    without Telegram (OULAD) give no preferences, hence no rows.
-#}

with

preferences as (

    select
        preference_id,
        userid,
        trim(preference_value) as chat_id
    from {{ lms_ref('user_preferences') }}
    where preference_name = '{{ var("moodle_telegram_chat_preference", "message_processor_telegram_chatid") }}'
        and nullif(trim(preference_value), '') is not null

),

ranked as (

    select
        userid,
        chat_id,
        row_number() over (partition by userid order by preference_id desc) as preference_rank
    from preferences

),

final as (

    select
        userid,
        chat_id
    from ranked
    where preference_rank = 1

)

select * from final
