{{ config(materialized='ephemeral') }}

{#-
    OULAD keeps no user preferences (no Telegram chats): the columns of
    stg_moodle__user_preferences, no rows.
-#}

select
    cast(null as {{ dbt.type_bigint() }}) as preference_id,
    cast(null as {{ dbt.type_bigint() }}) as userid,
    cast(null as {{ dbt.type_string() }}) as preference_name,
    cast(null as {{ dbt.type_string() }}) as preference_value
where 1 = 0
