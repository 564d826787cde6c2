with

source as (

    select * from {{ moodle_source('quiz') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as quiz_id,
        cast(course as {{ dbt.type_bigint() }}) as courseid,
        cast(name as {{ dbt.type_string() }}) as quiz_name,
        nullif(cast(timeclose as {{ dbt.type_bigint() }}), 0) as timeclose,
        cast(sumgrades as {{ type_double() }}) as sumgrades,
        cast(grade as {{ type_double() }}) as grade
    from source

)

select * from renamed
