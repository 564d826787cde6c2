{#-
    The companion of the week features (issue 15): one row per student
    enrolment and course week, the same grain and the same cutoff as
    int_enrolment_week_features, with what the weekly sums lose and what lies
    outside the course:

    - the recent days: learning events per course day over the last 14 days
      before the cutoff (day 1 = the last day that starts before it), per
      event kind over the last 7 and 14 days; the share of active days since
      the enrolment started; this week against the student's first week; the
      slope of the weekly events over the last four weeks;
    - deadlines and scores: whole days to the next assignment due date or
      quiz close time after the cutoff, the share of due work handed in on
      time so far, the average grade of the last graded week, and the
      student's percentile in the course-week cohort of several of these;
    - the student on the whole site: learning events in their other courses
      on the course days of those courses that lie entirely inside this
      week's [week_start, feature_cutoff), how many other courses they are
      enrolled in that week, and how their other courses that ended before
      the cutoff ended (share dropped out, share completed);
    - context: the share of the planned course length reached.

    No look-ahead: every figure uses data before the row's feature_cutoff
    (other courses' days that end by it, courses whose end date is before it);
    tests/python/test_ml_dbt.py proves that adding later events, a later course
    and a later outcome of the same student changes no complete week's row.
    Activity figures are NULL in a course without an activity log (yml meta
    from_activity_log, macro week_feature), never 0.
-#}

{%- set event_kinds = [
    'course_views', 'content_views', 'forum_reads', 'forum_posts',
    'assignment_events', 'quiz_events', 'grade_views', 'other_events',
] %}

with

features as (

    select
        enrolment_id,
        courseid,
        userid,
        course_week,
        week_start,
        feature_cutoff,
        has_activity_log,
        n_events,
        n_course_views,
        n_content_views,
        n_forum_reads,
        n_forum_posts,
        n_assignment_events,
        n_quiz_events,
        n_grade_views,
        n_other_events,
        n_active_days_so_far,
        days_since_enrolment_start,
        days_since_last_activity,
        assignments_due_so_far,
        assignments_on_time_so_far,
        assignments_missing_so_far
    from {{ ref('int_enrolment_week_features') }}

),

courses as (

    select
        courseid,
        startdate,
        enddate,
        planned_weeks
    from {{ ref('int_courses_classified') }}

),

course_weeks as (

    select
        courseid,
        course_week,
        feature_cutoff
    from {{ ref('int_course_weeks_spined') }}

),

enrolments as (

    select
        enrolment_id,
        courseid,
        userid,
        enrol_start,
        enrol_end
    from {{ ref('int_enrolments_resolved') }}

),

daily as (

    select
        enrolment_id,
        courseid,
        userid,
        course_day,
        n_events,
        n_course_views,
        n_content_views,
        n_forum_reads,
        n_forum_posts,
        n_assignment_events,
        n_quiz_events,
        n_grade_views,
        n_other_events
    from {{ ref('int_activity_daily') }}

),

assessment_results as (

    select
        enrolment_id,
        course_week,
        n_grades,
        grade_fraction_sum
    from {{ ref('int_assessment_results_weekly') }}

),

labels as (

    select
        enrolment_id,
        is_dropout,
        is_completed
    from {{ lms_ref('enrolment_labels') }}

),

assignments as (

    select
        courseid,
        duedate as due_at
    from {{ lms_ref('assignments') }}
    where duedate is not null

),

quizzes as (

    select
        courseid,
        timeclose as due_at
    from {{ lms_ref('quizzes') }}
    where timeclose is not null

),

deadlines as (

    select
        courseid,
        due_at
    from assignments

    union all

    select
        courseid,
        due_at
    from quizzes

),

rows_with_days as (

    -- the last course day that starts before the cutoff (a complete week k: day 7k - 1)
    select
        features.*,
        courses.startdate,
        courses.planned_weeks,
        {{ course_day_of('features.feature_cutoff - 1', 'courses.startdate') }} as last_day
    from features
    inner join courses
        on features.courseid = courses.courseid

),

week_offsets as (

    select 0 as week_offset

    union all

    select 1 as week_offset

    union all

    select 2 as week_offset

),

daily_by_week as (

    -- each day offered to its own week and the two after it (an equality join; the
    -- last 14 days before any cutoff lie in the row's week and the two before it)
    select
        daily.*,
        {{ course_week_of('daily.course_day * ' ~ seconds_per_day(), '0') }} + week_offsets.week_offset
            as course_week
    from daily
    cross join week_offsets

),

recent_days as (

    select
        rows_with_days.enrolment_id,
        rows_with_days.course_week,
        {% for day in range(1, 15) -%}
            sum(case when rows_with_days.last_day - daily.course_day = {{ day - 1 }} then daily.n_events else 0 end)
                as n_events_day_{{ day }},
        {% endfor -%}
        {% for kind in event_kinds -%}
            sum(case when rows_with_days.last_day - daily.course_day < 7 then daily.n_{{ kind }} else 0 end)
                as n_{{ kind }}_last_7_days,
            sum(daily.n_{{ kind }}) as n_{{ kind }}_last_14_days,
        {% endfor -%}
        sum(daily.n_events) as n_events_last_14_days
    from rows_with_days
    inner join daily_by_week as daily
        on rows_with_days.enrolment_id = daily.enrolment_id
            and rows_with_days.course_week = daily.course_week
    where rows_with_days.last_day - daily.course_day between 0 and 13
    group by rows_with_days.enrolment_id, rows_with_days.course_week

),

weeks_with_grades as (

    select
        features.enrolment_id,
        features.course_week,
        features.n_events,
        coalesce(assessment_results.n_grades, 0) as grades_week
    from features
    left join assessment_results
        on features.enrolment_id = assessment_results.enrolment_id
            and features.course_week = assessment_results.course_week

),

weekly_history as (

    select
        enrolment_id,
        course_week,
        first_value(n_events) over w_order as n_events_first_week,
        lag(n_events, 1) over w_order as n_events_lag_1,
        lag(n_events, 2) over w_order as n_events_lag_2,
        lag(n_events, 3) over w_order as n_events_lag_3,
        max(case when grades_week > 0 then course_week end) over w_so_far as last_graded_week
    from weeks_with_grades
    window
        w_order as (partition by enrolment_id order by course_week),
        w_so_far as (partition by enrolment_id order by course_week rows between unbounded preceding and current row)

),

last_grades as (

    select
        weekly_history.enrolment_id,
        weekly_history.course_week,
        {{ round_double('assessment_results.grade_fraction_sum / assessment_results.n_grades') }}
            as last_graded_week_grade_avg
    from weekly_history
    inner join assessment_results
        on weekly_history.enrolment_id = assessment_results.enrolment_id
            and weekly_history.last_graded_week = assessment_results.course_week
    where assessment_results.n_grades > 0

),

next_deadlines as (

    -- the same for every student of a course week (the cutoff is the course week's)
    select
        course_weeks.courseid,
        course_weeks.course_week,
        min(deadlines.due_at) as next_due_at
    from course_weeks
    inner join deadlines
        on course_weeks.courseid = deadlines.courseid
            and course_weeks.feature_cutoff <= deadlines.due_at
    group by course_weeks.courseid, course_weeks.course_week

),

-- the student's other courses: their course days that lie entirely inside a week of
-- this course (an equality join on the week that holds the day's start)
other_days as (

    select
        enrolments.enrolment_id,
        {{ course_week_of('day_courses.startdate + daily.course_day * ' ~ seconds_per_day(), 'own_courses.startdate') }}
            as course_week,
        day_courses.startdate + (daily.course_day + 1) * {{ seconds_per_day() }} as day_end,
        daily.n_events
    from daily
    inner join courses as day_courses
        on daily.courseid = day_courses.courseid
    inner join enrolments
        on daily.userid = enrolments.userid
            and daily.courseid <> enrolments.courseid
    inner join courses as own_courses
        on enrolments.courseid = own_courses.courseid

),

other_activity as (

    select
        features.enrolment_id,
        features.course_week,
        sum(other_days.n_events) as other_courses_events_week
    from features
    inner join other_days
        on features.enrolment_id = other_days.enrolment_id
            and features.course_week = other_days.course_week
    where other_days.day_end <= features.feature_cutoff
    group by features.enrolment_id, features.course_week

),

other_enrolments as (

    select
        enrolments.enrolment_id,
        enrolments.courseid,
        enrolments.userid,
        enrolments.enrol_start,
        enrolments.enrol_end,
        courses.startdate,
        courses.enddate,
        -- 0/1 whatever the source's label type (boolean or integer)
        cast(labels.is_dropout as integer) as is_dropout,
        cast(labels.is_completed as integer) as is_completed
    from enrolments
    inner join courses
        on enrolments.courseid = courses.courseid
    left join labels
        on enrolments.enrolment_id = labels.enrolment_id

),

other_courses as (

    select
        features.enrolment_id,
        features.course_week,
        sum(
            case
                when other_enrolments.enrol_start < features.feature_cutoff
                    and other_enrolments.startdate < features.feature_cutoff
                    and coalesce(other_enrolments.enrol_end, features.week_start) >= features.week_start
                    and coalesce(other_enrolments.enddate, features.week_start) >= features.week_start
                    then 1
                else 0
            end
        ) as other_courses_enrolled,
        sum(
            case
                when other_enrolments.enddate < features.feature_cutoff
                    and other_enrolments.is_dropout is not null
                    then 1
                else 0
            end
        ) as earlier_courses_finished,
        sum(
            case
                when other_enrolments.enddate < features.feature_cutoff and other_enrolments.is_dropout = 1
                    then 1
                else 0
            end
        ) as earlier_courses_dropped,
        sum(
            case
                when other_enrolments.enddate < features.feature_cutoff and other_enrolments.is_completed = 1
                    then 1
                else 0
            end
        ) as earlier_courses_completed
    from features
    inner join other_enrolments
        on features.userid = other_enrolments.userid
            and features.courseid <> other_enrolments.courseid
    group by features.enrolment_id, features.course_week

),

joined as (

    select
        rows_with_days.enrolment_id,
        rows_with_days.courseid,
        rows_with_days.course_week,
        rows_with_days.has_activity_log,
        {% for day in range(1, 15) -%}
            coalesce(recent_days.n_events_day_{{ day }}, 0) as n_events_day_{{ day }},
        {% endfor -%}
        {% for kind in event_kinds -%}
            coalesce(recent_days.n_{{ kind }}_last_7_days, 0) as n_{{ kind }}_last_7_days,
            coalesce(recent_days.n_{{ kind }}_last_14_days, 0) as n_{{ kind }}_last_14_days,
        {% endfor -%}
        coalesce(recent_days.n_events_last_14_days, 0) as n_events_last_14_days,
        case
            when rows_with_days.days_since_enrolment_start >= 0
                then cast(rows_with_days.n_active_days_so_far as {{ type_double() }})
                    / (rows_with_days.days_since_enrolment_start + 1)
        end as active_day_share_so_far,
        {{ smoothed_ratio('rows_with_days.n_events', 'weekly_history.n_events_first_week') }}
            as events_vs_first_week,
        cast(
            3 * rows_with_days.n_events
            + coalesce(weekly_history.n_events_lag_1, 0)
            - coalesce(weekly_history.n_events_lag_2, 0)
            - 3 * coalesce(weekly_history.n_events_lag_3, 0) as {{ type_double() }}
        ) / 10 as events_slope_4_weeks,
        rows_with_days.days_since_last_activity,
        case
            when next_deadlines.next_due_at is not null
                then {{ whole_days_between('rows_with_days.feature_cutoff', 'next_deadlines.next_due_at') }}
        end as days_to_next_deadline,
        case when next_deadlines.next_due_at is not null then 1 else 0 end as has_next_deadline,
        case
            when rows_with_days.assignments_due_so_far > 0
                then least(
                        1.0,
                        cast(rows_with_days.assignments_on_time_so_far as {{ type_double() }})
                        / rows_with_days.assignments_due_so_far
                    )
        end as on_time_share_so_far,
        rows_with_days.assignments_missing_so_far,
        last_grades.last_graded_week_grade_avg,
        coalesce(other_activity.other_courses_events_week, 0) as other_courses_events_week,
        coalesce(other_courses.other_courses_enrolled, 0) as other_courses_enrolled,
        coalesce(other_courses.earlier_courses_finished, 0) as earlier_courses_finished,
        case
            when other_courses.earlier_courses_finished > 0
                then cast(other_courses.earlier_courses_dropped as {{ type_double() }})
                    / other_courses.earlier_courses_finished
        end as earlier_courses_dropout_share,
        case
            when other_courses.earlier_courses_finished > 0
                then cast(other_courses.earlier_courses_completed as {{ type_double() }})
                    / other_courses.earlier_courses_finished
        end as earlier_courses_completion_share,
        case
            when rows_with_days.planned_weeks > 0
                then cast(rows_with_days.course_week as {{ type_double() }}) / rows_with_days.planned_weeks
        end as week_share
    from rows_with_days
    left join recent_days
        on rows_with_days.enrolment_id = recent_days.enrolment_id
            and rows_with_days.course_week = recent_days.course_week
    left join weekly_history
        on rows_with_days.enrolment_id = weekly_history.enrolment_id
            and rows_with_days.course_week = weekly_history.course_week
    left join last_grades
        on rows_with_days.enrolment_id = last_grades.enrolment_id
            and rows_with_days.course_week = last_grades.course_week
    left join next_deadlines
        on rows_with_days.courseid = next_deadlines.courseid
            and rows_with_days.course_week = next_deadlines.course_week
    left join other_activity
        on rows_with_days.enrolment_id = other_activity.enrolment_id
            and rows_with_days.course_week = other_activity.course_week
    left join other_courses
        on rows_with_days.enrolment_id = other_courses.enrolment_id
            and rows_with_days.course_week = other_courses.course_week

),

ranked as (

    -- the student's place in the course-week cohort (0 = lowest); NULL values rank apart
    select
        joined.*,
        case
            when joined.days_since_last_activity is not null
                then percent_rank() over (
                        partition by
                            joined.courseid,
                            joined.course_week,
                            joined.days_since_last_activity is null
                        order by joined.days_since_last_activity
                    )
        end as days_since_last_activity_cohort_percentile,
        percent_rank() over (
            partition by joined.courseid, joined.course_week
            order by joined.assignments_missing_so_far
        ) as assignments_missing_cohort_percentile,
        case
            when joined.on_time_share_so_far is not null
                then percent_rank() over (
                        partition by
                            joined.courseid,
                            joined.course_week,
                            joined.on_time_share_so_far is null
                        order by joined.on_time_share_so_far
                    )
        end as on_time_share_cohort_percentile,
        case
            when joined.last_graded_week_grade_avg is not null
                then percent_rank() over (
                        partition by
                            joined.courseid,
                            joined.course_week,
                            joined.last_graded_week_grade_avg is null
                        order by joined.last_graded_week_grade_avg
                    )
        end as last_grade_cohort_percentile,
        percent_rank() over (
            partition by joined.courseid, joined.course_week
            order by joined.other_courses_events_week
        ) as other_courses_events_cohort_percentile
    from joined

),

final as (

    select
        enrolment_id,
        course_week,
        {% for day in range(1, 15) -%}
            {{ week_feature('n_events_day_' ~ day) }},
        {% endfor -%}
        {% for kind in event_kinds -%}
            {{ week_feature('n_' ~ kind ~ '_last_7_days') }},
            {{ week_feature('n_' ~ kind ~ '_last_14_days') }},
        {% endfor -%}
        {{ week_feature('n_events_last_14_days') }},
        {{ week_feature('active_day_share_so_far') }},
        {{ week_feature('events_vs_first_week') }},
        {{ week_feature('events_slope_4_weeks') }},
        {{ week_feature('days_since_last_activity_cohort_percentile') }},
        days_to_next_deadline,
        has_next_deadline,
        on_time_share_so_far,
        last_graded_week_grade_avg,
        assignments_missing_cohort_percentile,
        on_time_share_cohort_percentile,
        last_grade_cohort_percentile,
        {{ week_feature('other_courses_events_week') }},
        {{ week_feature('other_courses_events_cohort_percentile') }},
        other_courses_enrolled,
        earlier_courses_finished,
        earlier_courses_dropout_share,
        earlier_courses_completion_share,
        week_share
    from ranked

)

select * from final
