{#- OULAD VLE activity types as module types, in the columns of stg_moodle__modules. -#}

with

sites as (

    select distinct activity_type from {{ ref('stg_oulad__vle_sites') }}
    where activity_type is not null

),

final as (

    select
        cast(dense_rank() over (order by activity_type) as {{ dbt.type_bigint() }}) as module_id,
        activity_type as module_name
    from sites

)

select * from final
