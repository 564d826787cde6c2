{#-
    Incremental processing of the weekly models (int_enrolment_week_features,
    mart_student_activity and, on DuckDB, ml_student_scores_raw).

    A weekly row depends on the student's earlier weeks (cumulative figures) and
    on the other students of the same course week (cohort figures), so the unit
    of work is a course and a first course week: every run recomputes, per
    course, the rows of course weeks >= from_week (int_course_weeks_to_reprocess)
    and keeps the others. The rule, per run (README "Daily runs are incremental"):
    * from_week is 1 for every course (all rows) when the log is reprocessed in
      full this run (macros/incremental_log.sql: no state, or course start
      dates, student enrolments or deleted users changed) or no
      int_course_week_inputs_state exists;
    * otherwise it is the earliest of: the course week holding the start of the
      log window (late and recent log rows); the course week of the earliest
      activity day recomputed by this run (late rows by log id); the earliest
      course week whose other inputs changed since the last successful run
      (course_week_inputs_sql: the week's bounds and feature cutoff, so a moving
      as_of and new weeks are seen, the course flags, and its students'
      assignment and assessment increments, so late or regraded marks are seen);
    * NULL (nothing to recompute) for courses with none of these;
    * rows of courses that are no longer in int_courses_classified are deleted.
    Not covered (run with --full-refresh): changes to the rules or vars of the
    weekly models themselves.
-#}

{% macro course_week_inputs_sql() -%}
    {#- one row per (courseid, course_week): md5 of every non-log input of that course week -#}
    {%- set text = api.Column.translate_type("string") -%}
    with

    course_weeks as (

        select
            weeks.courseid,
            weeks.course_week,
            {{ dbt.concat([
                dbt.cast("weeks.week_start", text), "':'",
                dbt.cast("weeks.week_end", text), "':'",
                dbt.cast("weeks.feature_cutoff", text), "':'",
                "case when weeks.is_complete_week then 'c' else 'o' end", "':'",
                "case when courses.has_activity_log then 'l' else 'n' end",
                "case when courses.is_completion_enabled and courses.has_completion_criteria then 't' else 'f' end",
            ]) }} as week_text
        from {{ ref('int_course_weeks_spined') }} as weeks
        inner join {{ ref('int_courses_classified') }} as courses
            on weeks.courseid = courses.courseid

    ),

    assignment_weeks as (

        {{ weekly_checksums_sql(ref('int_assignment_outcomes_weekly'),
            ['n_due', 'n_submitted', 'n_on_time', 'n_late', 'n_due_and_submitted'], []) | indent(8) }}

    ),

    assessment_weeks as (

        {{ weekly_checksums_sql(ref('int_assessment_results_weekly'),
            ['n_quiz_attempts', 'n_quiz_scores', 'n_grades'], ['quiz_score_sum', 'grade_fraction_sum']) | indent(8) }}

    )

    select
        course_weeks.courseid,
        course_weeks.course_week,
        {{ dbt.hash(dbt.concat([
            "course_weeks.week_text", "'|'",
            "coalesce(assignment_weeks.checksums, '')", "'|'",
            "coalesce(assessment_weeks.checksums, '')",
        ])) }} as inputs_fingerprint
    from course_weeks
    left join assignment_weeks
        on course_weeks.courseid = assignment_weeks.courseid
            and course_weeks.course_week = assignment_weeks.course_week
    left join assessment_weeks
        on course_weeks.courseid = assessment_weeks.courseid
            and course_weeks.course_week = assessment_weeks.course_week
{%- endmacro %}


{% macro weekly_checksums_sql(relation, int_columns, float_columns) -%}
    {#-
        per (courseid, course_week) of a weekly increments relation (enrolment_id,
        course_week, ...): the row count and, per column, its plain sum and its sum
        weighted by a number derived from the user id, as text. Integer arithmetic
        (floats scaled to 1e-9), so the same rows give the same text whatever the
        summation order; a changed value, or a value moved to another student,
        changes it.
    -#}
    {%- set text = api.Column.translate_type("string") -%}
    {%- set bigint = dbt.type_bigint() -%}
    {%- set scaled = [] -%}
    {%- for column in int_columns -%}
        {%- do scaled.append("cast(increments." ~ column ~ " as " ~ bigint ~ ")") -%}
    {%- endfor -%}
    {%- for column in float_columns -%}
        {%- do scaled.append("cast(round(increments." ~ column ~ " * 1000000000) as " ~ bigint ~ ")") -%}
    {%- endfor -%}
    {%- set parts = [dbt.cast("count(*)", text)] -%}
    {%- for value in scaled -%}
        {%- do parts.extend(["':'", dbt.cast("sum(" ~ value ~ ")", text), "':'",
            dbt.cast("sum(" ~ value ~ " * (mod(enrolments.userid, 997) + 1))", text)]) -%}
    {%- endfor -%}
    select
        enrolments.courseid,
        increments.course_week,
        {{ dbt.concat(parts) }} as checksums
    from {{ relation }} as increments
    inner join {{ ref('int_enrolments_resolved') }} as enrolments
        on increments.enrolment_id = enrolments.enrolment_id
    group by enrolments.courseid, increments.course_week
{%- endmacro %}


{% macro weeks_to_reprocess_relation() -%}
    {{ return(ref('int_course_weeks_to_reprocess')) }}
{%- endmacro %}


{% macro in_recomputed_courses(alias) -%}
    {#- condition on a relation alias with courseid: the courses with rows to compute this run -#}
    exists (
        select 1 from {{ weeks_to_reprocess_relation() }} as reprocess
        where reprocess.courseid = {{ alias }}.courseid and reprocess.has_weeks_to_compute
    )
{%- endmacro %}


{% macro in_reprocessed_weeks(alias) -%}
    {#- condition on a relation alias with courseid and course_week: the rows this run recomputes -#}
    exists (
        select 1 from {{ weeks_to_reprocess_relation() }} as reprocess
        where reprocess.courseid = {{ alias }}.courseid
            and {{ alias }}.course_week >= reprocess.from_week
    )
{%- endmacro %}


{% macro delete_reprocessed_weeks() -%}
    {#- pre-hook of the incremental weekly models: remove the rows this run recomputes -#}
    {%- if is_incremental() -%}
        delete from {{ this }} as stored
        where not exists (
            select 1 from {{ weeks_to_reprocess_relation() }} as reprocess
            where reprocess.courseid = stored.courseid
        )
            or {{ in_reprocessed_weeks('stored') }}
    {%- endif -%}
{%- endmacro %}


{% macro incremental_weeks_consumers() -%}
    {#-
        depends_on comments for the two states: they are rebuilt only after every
        model that reads int_course_weeks_to_reprocess succeeded, so a failed run
        is recomputed by the next one
    -#}
-- depends_on: {{ ref('int_course_weeks_to_reprocess') }}
-- depends_on: {{ ref('int_enrolment_week_features') }}
-- depends_on: {{ ref('mart_student_activity') }}
    {%- if ml_runs_in_dbt() %}
-- depends_on: {{ ref('ml_student_scores_raw') }}
    {%- endif %}
{%- endmacro %}
