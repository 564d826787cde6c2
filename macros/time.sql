{#- Time helpers. All times in the project are Unix seconds (bigint), as in Moodle. -#}

{#- Seconds in a day and in a course week. -#}
{% macro seconds_per_day() %}86400{% endmacro %}
{% macro seconds_per_week() %}604800{% endmacro %}

{#-
    Course week of a timestamp: week k covers [startdate + 7(k-1) days, startdate + 7k days).
    Week 1 starts at the course start; times before it give 0 or negative weeks
    (callers decide explicitly what to do with those).
-#}
{% macro course_week_of(ts, startdate) -%}
    (cast(floor(({{ ts }} - {{ startdate }}) / {{ seconds_per_week() }}.0) as {{ dbt.type_bigint() }}) + 1)
{%- endmacro %}

{#- Course day of a timestamp: 0 = the first day of the course, negative before it. -#}
{% macro course_day_of(ts, startdate) -%}
    cast(floor(({{ ts }} - {{ startdate }}) / {{ seconds_per_day() }}.0) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- Whole days between two Unix times (later - earlier), rounded down. -#}
{% macro whole_days_between(earlier, later) -%}
    cast(floor(({{ later }} - {{ earlier }}) / {{ seconds_per_day() }}.0) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- A Unix time as a UTC timestamp without time zone, on every engine. -#}
{% macro epoch_to_timestamp(ts) -%}
    {{ return(adapter.dispatch('epoch_to_timestamp', 'early_warning')(ts)) }}
{%- endmacro %}

{% macro default__epoch_to_timestamp(ts) -%}
    cast(to_timestamp({{ ts }}) at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro duckdb__epoch_to_timestamp(ts) -%}
    make_timestamp(cast({{ ts }} as bigint) * 1000000)
{%- endmacro %}

{% macro spark__epoch_to_timestamp(ts) -%}
    to_utc_timestamp(from_unixtime({{ ts }}), 'UTC')
{%- endmacro %}

{#- A Unix time as a UTC calendar date. -#}
{% macro epoch_to_date(ts) -%}
    cast({{ epoch_to_timestamp(ts) }} as date)
{%- endmacro %}

{#-
    A dbt var holding a point in time, as a Unix-seconds literal, or none when the
    var is empty (callers then apply their default). Accepts Unix seconds or
    'YYYY-MM-DD' / 'YYYY-MM-DD HH:MM:SS' (UTC). Used for as_of and report ranges.
-#}
{% macro var_as_epoch(var_name) -%}
    {%- set raw = var(var_name, '') -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = raw | string | trim -%}
    {%- if text.isdigit() -%}
        {{ return(text | int) }}
    {%- endif -%}
    {%- set m = modules.re.match('^(\\d{4})-(\\d{2})-(\\d{2})(?:[ T](\\d{2}):(\\d{2})(?::(\\d{2}))?)?$', text) -%}
    {%- if m -%}
        {%- set parts = m.groups() -%}
        {%- set parsed = modules.datetime.datetime(
            parts[0] | int, parts[1] | int, parts[2] | int,
            (parts[3] or 0) | int, (parts[4] or 0) | int, (parts[5] or 0) | int) -%}
        {{ return(((parsed - modules.datetime.datetime(1970, 1, 1)).total_seconds()) | int) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "var " ~ var_name ~ " = '" ~ text ~ "' is not understood: give Unix seconds or a UTC date "
        ~ "'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS', or leave it empty for the default."
    ) }}
{%- endmacro %}

{#- The run's wall-clock start as Unix seconds: log rows later than this are future rows. -#}
{% macro run_started_epoch() -%}
    {{ run_started_at.timestamp() | int }}
{%- endmacro %}
