with

source as (

    select * from {{ moodle_source('course_categories') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_bigint() }}) as category_id,
        cast(name as {{ dbt.type_string() }}) as category_name,
        cast(parent as {{ dbt.type_bigint() }}) as parent_category_id
    from source

)

select * from renamed
