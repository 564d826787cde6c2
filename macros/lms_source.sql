{#-
    Which LMS the pipeline reads: the dbt var `lms_source`, 'moodle' (default)
    or 'oulad' (the Open University Learning Analytics Dataset). Switching it is
    configuration only: the inactive source's staging models are disabled
    (dbt_project.yml), and the canonical intermediate layer reads its inputs
    through lms_ref().
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
    The relation holding one Moodle-shaped entity (the columns of its
    stg_moodle__<entity> model) for the active LMS: stg_moodle__<entity> on
    Moodle, int_oulad_<entity>_mapped on OULAD (the OULAD files mapped onto the
    same columns, models/intermediate/oulad).
-#}
{% macro lms_ref(entity) -%}
    {%- if lms_source() == 'oulad' -%}
        {{ ref('int_oulad_' ~ entity ~ '_mapped') }}
    {%- else -%}
        {{ ref('stg_moodle__' ~ entity) }}
    {%- endif -%}
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
