with

source as (

    select * from {{ moodle_source('modules') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as module_id,
        cast(name as {{ dbt.type_string() }}) as module_name
    from source

)

select * from renamed
