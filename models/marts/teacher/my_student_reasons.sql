{{
    config(
        materialized='view',
        schema='teacher',
        tags=['teacher_access'],
        post_hook="{{ harden_teacher_view() }}"
    )
}}

{#-
    The three reasons behind each current p_dropout of the database user's
    courses (mart_student_scores at the enrolment's current week,
    mart_student_current), one row per reason, with the student's value of the
    feature and the course median of the same week (mart_course_feature_medians).
-#}

with

scores as {{ not_materialized() }} (

    select
        scores.enrolment_id,
        scores.courseid,
        scores.userid,
        scores.course_week,
        scores.reason_1,
        scores.reason_1_feature,
        scores.reason_1_value,
        scores.reason_1_contribution,
        scores.reason_2,
        scores.reason_2_feature,
        scores.reason_2_value,
        scores.reason_2_contribution,
        scores.reason_3,
        scores.reason_3_feature,
        scores.reason_3_value,
        scores.reason_3_contribution
    from {{ ref('mart_student_scores') }} as scores
    inner join {{ ref('mart_student_current') }} as student_current
        on scores.enrolment_id = student_current.enrolment_id
            and scores.course_week = student_current.course_week
    where scores.courseid in {{ my_courseids() }}

),

reasons as (

    {%- for rank in [1, 2, 3] %}
        select
            enrolment_id,
            courseid,
            userid,
            course_week,
            {{ rank }} as reason_rank,
            reason_{{ rank }} as reason_text,
            reason_{{ rank }}_feature as feature,
            reason_{{ rank }}_value as student_value,
            reason_{{ rank }}_contribution as contribution
        from scores
        where reason_{{ rank }}_feature is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

medians as (

    select
        courseid,
        course_week,
        feature,
        course_median
    from {{ ref('mart_course_feature_medians') }}

),

final as (

    select
        reasons.enrolment_id,
        reasons.courseid,
        reasons.userid,
        reasons.course_week,
        reasons.reason_rank,
        reasons.reason_text,
        reasons.feature,
        cast(reasons.student_value as {{ type_double() }}) as student_value,
        cast(medians.course_median as {{ type_double() }}) as course_median,
        cast(reasons.contribution as {{ type_double() }}) as contribution
    from reasons
    left join medians
        on reasons.courseid = medians.courseid
            and reasons.course_week = medians.course_week
            and reasons.feature = medians.feature

)

select * from final
