{#-
    Which LMS the pipeline reads: the dbt var `lms_source`, 'moodle' (default)
    or 'oulad' (the Open University Learning Analytics Dataset). Switching it is
    configuration only: the inactive sources' staging and mapping models are
    disabled (dbt_project.yml), and the shared models read their inputs through
    lms_ref().
-#}
{% macro lms_source() -%}
    {%- set source_name = var('lms_source', 'moodle') | string | trim | lower -%}
    {%- if source_name not in ('moodle', 'oulad') -%}
        {{ exceptions.raise_compiler_error(
            "var lms_source = '" ~ source_name ~ "' is not supported: use 'moodle' (default) or 'oulad'."
        ) }}
    {%- endif -%}
    {{ return(source_name) }}
{%- endmacro %}

{#-
    The canonical inputs of the shared models: the relation holding one entity
    (README "Add an LMS") in its canonical columns, for the active LMS. Shared
    models read their inputs only through lms_ref() and never branch on the source.

    A source S provides every entity as int_<S>_<entity>_mapped (folder
    models/intermediate/lms/<S>/). Moodle is the reference shape: its staging
    models already have the canonical columns of most entities, so lms_ref()
    reads stg_moodle__<entity> for those and int_moodle_<entity>_mapped only for
    the entities below, which need joins or rules of Moodle's own.

      entity                      columns (see the mapping models' docs)
      users                       userid, username, firstname, lastname, email, is_deleted, is_suspended, lang, ...
      courses                     courseid, category_id, names, startdate, enddate, is_completion_enabled, is_site_course, has_activity_log, has_teacher_roles
      course_completion_criteria  criteria_id, courseid, criteriatype
      role_assignments            userid, role_shortname, context_level (course | category | system), instance_id
      user_enrolments             courseid, userid, starts_at, ends_at, is_active
      log_events                  the columns of stg_moodle__log_events
      course_modules, modules     course_module_id, courseid, module_id, instance_id, section_id, is_visible, added; module_id, module_name
      assignments, assign_submissions, grade_items, grade_grades, quizzes, quiz_attempts   as in Moodle's staging
      user_preferences            preference_id, userid, preference_name, preference_value
      as_of_default               one row: as_of, as_of_origin (the default "now" when the var as_of is empty)
      enrolment_labels            the columns of fct_enrolment_outcomes (the source's label rules)
      ai_actions                  the columns of stg_moodle__ai_actions (Moodle only: the AI usage marts)
      registration_hubs           the columns of stg_moodle__registration_hubs (Moodle only: the AI usage range)
      source_gaps                 source_table, check_name, n_rows: optional tables / columns the source lacks
-#}
{% macro lms_ref(entity) -%}
    {%- set source_name = lms_source() -%}
    {%- if source_name == 'moodle' and entity not in moodle_mapped_entities() -%}
        {{ ref('stg_moodle__' ~ entity) }}
    {%- else -%}
        {{ ref('int_' ~ source_name ~ '_' ~ entity ~ '_mapped') }}
    {%- endif -%}
{%- endmacro %}

{#- The entities whose Moodle version is a model of models/intermediate/lms/moodle, not staging. -#}
{% macro moodle_mapped_entities() -%}
    {{ return(['role_assignments', 'user_enrolments', 'as_of_default', 'enrolment_labels', 'source_gaps']) }}
{%- endmacro %}

{#-
    Unix seconds of an OULAD presentation's start (UTC midnight), from its code:
    year + 'B' (starts 1 February) or 'J' (starts 1 October). OULAD gives no
    calendar dates, only days relative to this start; the exact day does not
    matter for the pipeline, their order does (2013B < 2013J < 2014B < 2014J).
-#}
{% macro oulad_presentation_start(code_presentation) -%}
    {%- set y = 'cast(substring(' ~ code_presentation ~ ', 1, 4) as ' ~ dbt.type_bigint() ~ ')' -%}
    {%- set leap_years_before = '(floor((' ~ y ~ ' - 1) / 4.0) - floor((' ~ y ~ ' - 1) / 100.0) + floor((' ~ y ~ ' - 1) / 400.0) - 477)' -%}
    {%- set is_leap = '(case when (' ~ y ~ ' % 4 = 0 and ' ~ y ~ ' % 100 <> 0) or ' ~ y ~ ' % 400 = 0 then 1 else 0 end)' -%}
    cast(
        (365 * ({{ y }} - 1970) + {{ leap_years_before }}
            + case upper(substring({{ code_presentation }}, 5, 1))
                when 'B' then 31
                when 'J' then 273 + {{ is_leap }}
            end
        ) * {{ seconds_per_day() }} as {{ dbt.type_bigint() }}
    )
{%- endmacro %}

{#- One raw OULAD value as text, with the dataset's missing markers ('' and '?') as NULL. -#}
{% macro oulad_clean(column) -%}
    nullif(nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), ''), '?')
{%- endmacro %}
