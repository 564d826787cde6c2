with

source as (

    select * from {{ moodle_source('assign') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as assign_id,
        cast(course as {{ dbt.type_bigint() }}) as courseid,
        cast(name as {{ dbt.type_string() }}) as assign_name,
        nullif(cast(duedate as {{ dbt.type_bigint() }}), 0) as duedate,
        nullif(cast(cutoffdate as {{ dbt.type_bigint() }}), 0) as cutoffdate
    from source

)

select * from renamed
