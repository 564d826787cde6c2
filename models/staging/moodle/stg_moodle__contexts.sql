with

source as (

    select * from {{ moodle_source('context') }} as raw_table

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as context_id,
        cast(contextlevel as {{ dbt.type_bigint() }}) as contextlevel,
        cast(instanceid as {{ dbt.type_bigint() }}) as instanceid
    from source

)

select * from renamed
