{{ config(materialized='view') }}

{#-
    OULAD's default "now" when the var as_of is empty: OULAD is a finished
    historical dataset, so the default is the day after the last presentation
    ended and every presentation is finished (set as_of to look at the
    presentations as they were running). One row.
-#}

with

courses as (

    select enddate from {{ ref('int_oulad_courses_mapped') }}

),

final as (

    select
        'last_oulad_presentation_end' as as_of_origin,
        max(enddate) + {{ seconds_per_day() }} as as_of
    from courses

)

select * from final
