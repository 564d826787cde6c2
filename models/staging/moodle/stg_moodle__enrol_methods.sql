with

source as (

    select * from {{ moodle_source('enrol') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as enrol_id,
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        coalesce(cast(status as {{ dbt.type_bigint() }}) = 0, false) as is_enabled,
        cast(enrol as {{ dbt.type_string() }}) as enrol_method
    from source

)

select * from renamed
