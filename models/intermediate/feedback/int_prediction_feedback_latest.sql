{{ config(materialized='view') }}

{#-
    The feedback that counts: the latest mark of each person on each prediction
    (enrolment x course week). A person who changes their mind replaces their mark;
    two people's marks both count. Ties on given_at go to the larger feedback_id.
-#}

with

feedback as (

    select * from {{ ref('stg_app__prediction_feedback') }}

),

ranked as (

    select
        feedback_id,
        enrolment_id,
        courseid,
        userid,
        course_week,
        model_version,
        p_dropout,
        risk_band,
        feedback_value,
        given_by,
        given_at,
        row_number() over (
            partition by enrolment_id, course_week, given_by
            order by given_at desc, feedback_id desc
        ) as mark_rank
    from feedback

),

final as (

    select
        feedback_id,
        enrolment_id,
        courseid,
        userid,
        course_week,
        model_version,
        p_dropout,
        risk_band,
        feedback_value,
        given_by,
        given_at
    from ranked
    where mark_rank = 1

)

select * from final
