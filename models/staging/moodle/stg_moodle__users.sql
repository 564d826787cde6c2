with

source as (

    select * from {{ moodle_source('user') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as userid,
        cast(username as {{ dbt.type_string() }}) as username,
        cast(firstname as {{ dbt.type_string() }}) as firstname,
        cast(lastname as {{ dbt.type_string() }}) as lastname,
        cast(email as {{ dbt.type_string() }}) as email,
        coalesce(cast(deleted as {{ dbt.type_bigint() }}) = 1, false) as is_deleted,
        coalesce(cast(suspended as {{ dbt.type_bigint() }}) = 1, false) as is_suspended,
        nullif(cast(lastaccess as {{ dbt.type_bigint() }}), 0) as lastaccess,
        cast(timecreated as {{ dbt.type_bigint() }}) as timecreated,
        cast(institution as {{ dbt.type_string() }}) as institution,
        cast(department as {{ dbt.type_string() }}) as department,
        cast(city as {{ dbt.type_string() }}) as city,
        cast(country as {{ dbt.type_string() }}) as country,
        cast(lang as {{ dbt.type_string() }}) as lang
    from source

)

select * from renamed
