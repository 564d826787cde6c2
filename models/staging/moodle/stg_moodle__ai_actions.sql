with

source as (

    select * from {{ moodle_source('ai_action_register') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as ai_action_id,
        cast(actionname as {{ dbt.type_string() }}) as actionname,
        cast(actionid as {{ dbt.type_bigint() }}) as actionid,
        coalesce(cast(success as {{ dbt.type_bigint() }}) = 1, false) as is_success,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(contextid as {{ dbt.type_bigint() }}) as context_id,
        cast(provider as {{ dbt.type_string() }}) as provider,
        cast(model as {{ dbt.type_string() }}) as model,
        cast(errorcode as {{ dbt.type_bigint() }}) as errorcode,
        cast(errormessage as {{ dbt.type_string() }}) as errormessage,
        cast(timecreated as {{ dbt.type_bigint() }}) as timecreated,
        cast(timecompleted as {{ dbt.type_bigint() }}) as timecompleted
    from source

)

select * from renamed
