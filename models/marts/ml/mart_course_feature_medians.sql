{#-
    The course median of every feature a reason can name (macro
    reason_feature_columns), per running course and current course week: the
    weeks in which its active students are now (mart_student_current). The
    student card puts a reason's value next to it (my_student_reasons); computed
    once per build, so that the card reads a few rows.
-#}

{%- set features = reason_feature_columns() %}

with

current_weeks as (

    select distinct
        courseid,
        course_week
    from {{ ref('mart_student_current') }}

),

feature_names as (

    {%- for feature in features %}
        select '{{ feature }}' as feature
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

features_long as (

    select
        week_features.courseid,
        week_features.course_week,
        feature_names.feature,
        case feature_names.feature
            {%- for feature in features %}
                {%- if feature in reason_boolean_features() %}
                    when '{{ feature }}' then case when week_features.{{ feature }} then 1.0 else 0.0 end
                {%- else %}
                    when '{{ feature }}' then cast(week_features.{{ feature }} as {{ type_double() }})
                {%- endif %}
            {%- endfor %}
        end as feature_value
    from {{ ref('fct_enrolment_week_features') }} as week_features
    inner join current_weeks
        on week_features.courseid = current_weeks.courseid
            and week_features.course_week = current_weeks.course_week
    cross join feature_names

),

final as (

    select
        cast(courseid as {{ dbt.type_bigint() }}) as courseid,
        cast(course_week as {{ dbt.type_bigint() }}) as course_week,
        cast(feature as {{ dbt.type_string() }}) as feature,
        cast({{ percentile_cont('feature_value', 0.5) }} as {{ type_double() }}) as course_median,
        cast(count(feature_value) as {{ dbt.type_bigint() }}) as n_students
    from features_long
    group by courseid, course_week, feature

)

select * from final
