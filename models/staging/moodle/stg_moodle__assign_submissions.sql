with

source as (

    select * from {{ moodle_source('assign_submission') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as submission_id,
        cast(assignment as {{ dbt.type_bigint() }}) as assign_id,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        cast(status as {{ dbt.type_string() }}) as submission_status,
        cast(timemodified as {{ dbt.type_bigint() }}) as timemodified,
        coalesce(cast(latest as {{ dbt.type_bigint() }}) = 1, false) as is_latest
    from source

)

select * from renamed
