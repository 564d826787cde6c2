{{ config(materialized='ephemeral') }}

{#-
    OULAD has no quizzes (its computer-marked assessments are assignments,
    int_oulad_assignments_mapped): the columns of stg_moodle__quizzes, no rows.
-#}

select
    cast(null as {{ dbt.type_bigint() }}) as quiz_id,
    cast(null as {{ dbt.type_bigint() }}) as courseid,
    cast(null as {{ dbt.type_string() }}) as quiz_name,
    cast(null as {{ dbt.type_bigint() }}) as timeclose,
    cast(null as {{ type_double() }}) as sumgrades,
    cast(null as {{ type_double() }}) as grade
where 1 = 0
