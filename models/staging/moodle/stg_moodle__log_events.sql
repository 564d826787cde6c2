with

source as (

    select * from {{ moodle_source('logstore_standard_log') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as log_id,
        cast(eventname as {{ dbt.type_string() }}) as eventname,
        cast(component as {{ dbt.type_string() }}) as component,
        cast(action as {{ dbt.type_string() }}) as action,
        cast(target as {{ dbt.type_string() }}) as target,
        cast(crud as {{ dbt.type_string() }}) as crud,
        cast(edulevel as {{ dbt.type_bigint() }}) as edulevel,
        cast(contextid as {{ dbt.type_bigint() }}) as context_id,
        cast(contextlevel as {{ dbt.type_bigint() }}) as contextlevel,
        cast(contextinstanceid as {{ dbt.type_bigint() }}) as contextinstanceid,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(relateduserid as {{ dbt.type_bigint() }}) as relateduserid,
        coalesce(cast(anonymous as {{ dbt.type_bigint() }}) = 1, false) as is_anonymous,
        cast(timecreated as {{ dbt.type_bigint() }}) as timecreated,
        cast(origin as {{ dbt.type_string() }}) as origin
    from source

)

select * from renamed
