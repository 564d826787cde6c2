with

source as (

    select * from {{ moodle_source('quiz_attempts') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as attempt_id,
        cast(quiz as {{ dbt.type_bigint() }}) as quiz_id,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(attempt as {{ dbt.type_bigint() }}) as attempt_number,
        cast(state as {{ dbt.type_string() }}) as attempt_state,
        cast(timestart as {{ dbt.type_bigint() }}) as timestart,
        nullif(cast(timefinish as {{ dbt.type_bigint() }}), 0) as timefinish,
        cast(sumgrades as {{ type_double() }}) as attempt_sumgrades
    from source

)

select * from renamed
