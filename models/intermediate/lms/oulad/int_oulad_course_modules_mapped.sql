{#-
    OULAD VLE sites as course modules, in the columns of
    stg_moodle__course_modules: course_module_id and instance_id are the id_site.
-#}

with

sites as (

    select * from {{ ref('stg_oulad__vle_sites') }}

),

modules as (

    select * from {{ ref('int_oulad_modules_mapped') }}

),

courses as (

    select
        courseid,
        code_module,
        code_presentation
    from {{ ref('int_oulad_courses_mapped') }}

),

final as (

    select
        sites.site_id as course_module_id,
        courses.courseid,
        modules.module_id,
        sites.site_id as instance_id,
        cast(null as {{ dbt.type_bigint() }}) as section_id,
        true as is_visible,
        cast(null as {{ dbt.type_bigint() }}) as added
    from sites
    inner join courses
        on sites.code_module = courses.code_module
            and sites.code_presentation = courses.code_presentation
    left join modules
        on sites.activity_type = modules.module_name

)

select * from final
