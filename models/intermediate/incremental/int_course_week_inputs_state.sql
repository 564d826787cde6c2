{#-
    The non-log inputs of every course week as the last successful build saw
    them: one row per course and course week with the fingerprint of its bounds
    and feature cutoff, the course flags and its students' assignment and
    assessment increments (macros/incremental_weeks.sql). Built after every
    incremental weekly model, read by the next run's
    int_course_weeks_to_reprocess: a course week whose fingerprint changed is
    recomputed, with every later week of its course.
-#}

{{ incremental_weeks_consumers() }}

{{ course_week_inputs_sql() }}
