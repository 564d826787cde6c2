with

source as (

    select * from {{ moodle_source('user_preferences') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as preference_id,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(name as {{ dbt.type_string() }}) as preference_name,
        cast(value as {{ dbt.type_string() }}) as preference_value
    from source

)

select * from renamed
