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
    courses (mart_student_scores at the enrolment's current week), one row per
    reason, with the student's value of the feature and the median of the same
    feature over the course's students that week (the features are those of the
    macro reason_feature_columns).
-#}

{%- set features = reason_feature_columns() %}

with

current_weeks as (

    select
        enrolment_id,
        course_week
    from {{ ref('mart_student_activity') }}
    where is_current and courseid in {{ my_courseids() }}

),

scores as (

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
    inner join current_weeks
        on scores.enrolment_id = current_weeks.enrolment_id
            and scores.course_week = current_weeks.course_week
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

reason_features as (

    select distinct
        courseid,
        course_week,
        feature
    from reasons

),

features_long as (

    select
        week_features.courseid,
        week_features.course_week,
        reason_features.feature,
        case reason_features.feature
            {%- for feature in features %}
                {%- if feature in reason_boolean_features() %}
                    when '{{ feature }}' then case when week_features.{{ feature }} then 1.0 else 0.0 end
                {%- else %}
                    when '{{ feature }}' then cast(week_features.{{ feature }} as {{ type_double() }})
                {%- endif %}
            {%- endfor %}
        end as feature_value
    from {{ ref('int_enrolment_week_features') }} as week_features
    inner join reason_features
        on week_features.courseid = reason_features.courseid
            and week_features.course_week = reason_features.course_week

),

medians as (

    select
        courseid,
        course_week,
        feature,
        {{ percentile_cont('feature_value', 0.5) }} as course_median
    from features_long
    group by courseid, course_week, feature

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
