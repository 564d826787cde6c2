with

source as (

    select * from {{ moodle_source('user_enrolments') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as user_enrolment_id,
        cast(enrolid as {{ dbt.type_bigint() }}) as enrol_id,
        cast(userid as {{ dbt.type_bigint() }}) as userid,
        coalesce(cast(status as {{ dbt.type_bigint() }}) = 0, false) as is_active,
        nullif(cast(timestart as {{ dbt.type_bigint() }}), 0) as timestart,
        nullif(cast(timeend as {{ dbt.type_bigint() }}), 0) as timeend,
        cast(timecreated as {{ dbt.type_bigint() }}) as timecreated
    from source

)

select * from renamed
