{{ config(materialized='ephemeral') }}

{#-
    OULAD has no completion criteria (its labels come from final_result): the
    columns of stg_moodle__course_completion_criteria, no rows.
-#}

select
    cast(null as {{ dbt.type_bigint() }}) as criteria_id,
    cast(null as {{ dbt.type_bigint() }}) as courseid,
    cast(null as {{ dbt.type_bigint() }}) as criteriatype
where 1 = 0
