{{ config(materialized='ephemeral') }}

{#- OULAD has no quizzes, hence no attempts: the columns of stg_moodle__quiz_attempts, no rows. -#}

select
    cast(null as {{ dbt.type_bigint() }}) as attempt_id,
    cast(null as {{ dbt.type_bigint() }}) as quiz_id,
    cast(null as {{ dbt.type_bigint() }}) as userid,
    cast(null as {{ dbt.type_bigint() }}) as attempt_number,
    cast(null as {{ dbt.type_string() }}) as attempt_state,
    cast(null as {{ dbt.type_bigint() }}) as timestart,
    cast(null as {{ dbt.type_bigint() }}) as timefinish,
    cast(null as {{ type_double() }}) as attempt_sumgrades
where 1 = 0
