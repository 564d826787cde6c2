{#-
    The student-activity rules of DESIGN.md, as SQL expressions over a row of
    stg_moodle__log_events. Kept in one place so the filter, the kinds and the
    levels are documented once and unit-tested through int_log_events_classified.
-#}

{#-
    Learning activity: participating events (edulevel 2) or reads of course
    content (crud 'r' in a course or course-module context). Teacher actions
    (edulevel 1) and other events are not.
-#}
{% macro is_learning_event(edulevel, crud, contextlevel) -%}
    ({{ edulevel }} = 2 or ({{ crud }} = 'r' and {{ contextlevel }} in (50, 70)))
{%- endmacro %}

{#-
    Kind of a learning event, for the per-kind counts:
    course_view, content_view, forum_read, forum_post, assignment, quiz, grades, other.
-#}
{% macro activity_kind(component, eventname, crud) -%}
    case
        when {{ eventname }} = '\core\event\course_viewed' then 'course_view'
        when {{ component }} = 'mod_forum' and {{ crud }} = 'r' then 'forum_read'
        when {{ component }} = 'mod_forum' then 'forum_post'
        when {{ component }} = 'mod_assign' or {{ component }} like 'assignsubmission_%' then 'assignment'
        when {{ component }} = 'mod_quiz' then 'quiz'
        when {{ component }} like 'gradereport_%' then 'grades'
        when {{ crud }} = 'r' and {{ component }} like 'mod_%' then 'content_view'
        else 'other'
    end
{%- endmacro %}

{#-
    Cognitive depth of one event, after Moodle's community-of-inquiry indicators
    (simplified to three levels):
    1 = read content, 2 = contribute (create or update something: a post, a
    submission, a quiz attempt), 3 = look at feedback on one's work (assignment
    feedback, quiz review, grade report).
-#}
{% macro cognitive_depth(component, eventname, crud) -%}
    case
        when {{ eventname }} like '%feedback_viewed'
            or {{ eventname }} like '%attempt_reviewed'
            or {{ component }} like 'gradereport_%' then 3
        when {{ crud }} in ('c', 'u') then 2
        else 1
    end
{%- endmacro %}

{#-
    Social breadth of one event (simplified Moodle levels):
    0 = no social element, 1 = read others' posts, 2 = post, 3 = reply to
    another user.
-#}
{% macro social_breadth(component, crud, userid, relateduserid) -%}
    case
        when {{ component }} <> 'mod_forum' then 0
        when {{ crud }} = 'r' then 1
        when {{ relateduserid }} is not null and {{ relateduserid }} <> {{ userid }} then 3
        else 2
    end
{%- endmacro %}

{#-
    One column of the week features (int_enrolment_week_features, final select):
    `expression as name` (expression: the column of that name by default). The
    columns that come from the activity log are the ones flagged
    `meta: {from_activity_log: true}` in models/intermediate/weeks/_int_weeks__models.yml,
    the one list of them (the OULAD benchmark reads it too,
    early_warning.ml.features.activity_log_features): in a course without an
    activity log (has_activity_log false: OULAD presentations without clicks)
    they are NULL (unknown), so that missing data never reads as a student who
    did nothing. The flags are read when the model is compiled (execute).
-#}
{% macro week_feature(name, expression=none) -%}
    {%- set column = model.columns.get(name) if execute and model.columns is mapping else none -%}
    {%- set meta = (column.get('meta') or {}) if column is mapping else {} -%}
    {%- if meta.get('from_activity_log') -%}
        case when has_activity_log then {{ expression or name }} end as {{ name }}
    {%- elif expression -%}
        {{ expression }} as {{ name }}
    {%- else -%}
        {{ name }}
    {%- endif -%}
{%- endmacro %}
