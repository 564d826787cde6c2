with

source as (

    select * from {{ moodle_source('context') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as context_id,
        cast(contextlevel as {{ dbt.type_bigint() }}) as contextlevel,
        cast(instanceid as {{ dbt.type_bigint() }}) as instanceid
    from source

)

select * from renamed
