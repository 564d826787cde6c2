{#-
    Rendering of the notification templates (seed notification_templates), shared by
    mart_notification_outbox and mart_student_contact.

    One pass in effect: every substituted value first has its braces swapped for the
    control characters chr(1) and chr(2) (control characters already in the value are
    dropped), so no value can ever be matched as a placeholder by a later replace(),
    whatever the order of the placeholders. After all placeholders are replaced, a
    '{' still in the text is a placeholder the template has and no value filled (a typo
    in the seed, a fragment without a template): notification_unfilled() is then true
    and the row is not sent. notification_unescape() finally turns the swapped braces
    back, so a name such as 'Grace {course}' is shown as written.
    A NULL value renders as ''.
-#}

{% macro notification_safe_value(value_sql) -%}
    replace(replace(replace(replace(
        coalesce(cast({{ value_sql }} as {{ dbt.type_string() }}), ''),
        chr(1), ''), chr(2), ''), '{', chr(1)), '}', chr(2))
{%- endmacro %}


{#- template_sql: SQL of the template text; placeholders: [(name, value_sql), ...] -#}
{% macro notification_render(template_sql, placeholders) -%}
    {%- set rendered = namespace(sql=template_sql) -%}
    {%- for placeholder, value_sql in placeholders -%}
        {%- set rendered.sql = dbt.replace(
            rendered.sql, "'{" ~ placeholder ~ "}'", notification_safe_value(value_sql)
        ) -%}
    {%- endfor -%}
    {{ rendered.sql }}
{%- endmacro %}


{#- true when the rendered text (before notification_unescape) still holds a placeholder -#}
{% macro notification_unfilled(rendered_sql) -%}
    ({{ rendered_sql }} like '%{{ "{" }}%')
{%- endmacro %}


{% macro notification_unescape(rendered_sql) -%}
    replace(replace({{ rendered_sql }}, chr(1), '{'), chr(2), '}')
{%- endmacro %}


{#- The language of a student's messages from Moodle's user language: ru or en. -#}
{% macro notification_lang(lang_sql) -%}
    case when lower(coalesce({{ lang_sql }}, '')) like 'ru%' then 'ru' else 'en' end
{%- endmacro %}
