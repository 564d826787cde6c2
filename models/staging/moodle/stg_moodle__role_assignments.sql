with

source as (

    select * from {{ moodle_source('role_assignments') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as role_assignment_id,
        cast(roleid as {{ dbt.type_bigint() }}) as role_id,
        cast(contextid as {{ dbt.type_bigint() }}) as context_id,
        cast(userid as {{ dbt.type_bigint() }}) as userid
    from source

)

select * from renamed
