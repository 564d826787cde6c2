with

source as (

    select * from {{ moodle_source('role') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as role_id,
        cast(shortname as {{ dbt.type_string() }}) as role_shortname
    from source

)

select * from renamed
