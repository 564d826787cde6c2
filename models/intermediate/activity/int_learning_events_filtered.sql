{{ config(materialized='view') }}

{#- The canonical student learning events: the log rows kept by int_log_events_classified. -#}

with

classified as (

    select * from {{ ref('int_log_events_classified') }}
    where rejection_reason is null

),

final as (

    select
        log_id,
        enrolment_id,
        courseid,
        userid,
        timecreated,
        course_day,
        activity_kind,
        course_module_id,
        cognitive_depth,
        social_breadth
    from classified

)

select * from final
