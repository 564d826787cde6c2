{#-
    Helpers of the AI usage report (Moodle MDL-82626, core\hub\registration::get_ai_usage_data).
    All times are Unix seconds, as in Moodle.
-#}

{#-
    The report's time range as SQL expressions of the run's as_of column and of the
    time of the site's last confirmed registration update (Moodle's
    core\hub\registration::get_ai_usage_time_range(): registration_hubs.timemodified
    where confirmed = 1 for the moodle.org hub; NULL when the site is not
    registered). Like Moodle: timeto = "now" (as_of); timefrom = the last
    registration update, or timeto - 7 days for a site that is not registered (or
    whose registration update is later than as_of: a range cannot start after it
    ends). The vars ai_usage_timefrom / ai_usage_timeto override either bound.
    Both bounds are inclusive (Moodle: timecompleted >= :timefrom AND
    timecompleted <= :timeto).
-#}
{% macro ai_usage_timeto(as_of_column) -%}
    {%- set timeto = var_as_epoch('ai_usage_timeto') -%}
    {%- if timeto is none -%}
        cast({{ as_of_column }} as {{ dbt.type_bigint() }})
    {%- else -%}
        cast({{ timeto }} as {{ dbt.type_bigint() }})
    {%- endif -%}
{%- endmacro %}

{% macro ai_usage_timefrom(as_of_column, registered_at_column='null') -%}
    {%- set timefrom = var_as_epoch('ai_usage_timefrom') -%}
    {%- set timeto = var_as_epoch('ai_usage_timeto') -%}
    {%- if timefrom is not none and timeto is not none and timefrom > timeto -%}
        {{ exceptions.raise_compiler_error(
            "var ai_usage_timefrom (" ~ timefrom ~ ") is after ai_usage_timeto (" ~ timeto ~ ")."
        ) }}
    {%- endif -%}
    {%- if timefrom is none -%}
        case
            when {{ registered_at_column }} <= {{ ai_usage_timeto(as_of_column) }}
                then cast({{ registered_at_column }} as {{ dbt.type_bigint() }})
            else {{ ai_usage_timeto(as_of_column) }} - {{ seconds_per_week() }}
        end
    {%- else -%}
        cast({{ timefrom }} as {{ dbt.type_bigint() }})
    {%- endif -%}
{%- endmacro %}

{#- Where timefrom came from: 'var' (ai_usage_timefrom), 'last_registration_update' or 'last_7_days'. -#}
{% macro ai_usage_timefrom_basis(as_of_column, registered_at_column='null') -%}
    {%- if var_as_epoch('ai_usage_timefrom') is not none -%}
        cast('var' as {{ dbt.type_string() }})
    {%- else -%}
        cast(
            case
                when {{ registered_at_column }} <= {{ ai_usage_timeto(as_of_column) }}
                    then 'last_registration_update'
                else 'last_7_days'
            end as {{ dbt.type_string() }}
        )
    {%- endif -%}
{%- endmacro %}

{#-
    The model name of an action as Moodle 5.x reports it ($action->model ?? 'unknown'):
    'unknown' when Moodle recorded none (NULL); an empty string stays ''.
-#}
{% macro ai_usage_model_name(model_column) -%}
    coalesce({{ model_column }}, 'unknown')
{%- endmacro %}

{#-
    Mean of a sum over a count, rounded half away from zero like PHP's round()
    (PostgreSQL rounds double precision halves to even). NULL when the count is 0.
    Exact for integer sums: sign(s) * floor((2|s| + n) / 2n).
-#}
{% macro ai_usage_rounded_mean(sum_expr, count_expr) -%}
    case
        when {{ count_expr }} > 0 then cast(
            sign({{ sum_expr }})
            * floor((2 * abs({{ sum_expr }}) + {{ count_expr }}) / (2.0 * {{ count_expr }}))
            as {{ dbt.type_bigint() }}
        )
    end
{%- endmacro %}

{#-
    Start (Unix seconds) of the calendar week of a Unix time: weeks run from
    Monday 00:00 UTC. 345600 is Monday 1970-01-05 00:00 UTC.
-#}
{% macro ai_usage_week_start(ts) -%}
    (345600 + cast(floor(({{ ts }} - 345600) / {{ seconds_per_week() }}.0) as {{ dbt.type_bigint() }}) * {{ seconds_per_week() }})
{%- endmacro %}

{#-
    The aggregation CTEs shared by the AI usage marts, over a CTE `from_cte` with
    one row per action and the columns of `group_columns`, ai_action_id, is_success,
    errorcode and duration_seconds. Defines three CTEs (each keyed by group_columns):
      usage_counts       success_count, fail_count, success_time (sum of the
                         durations of successful actions), first_register_id (the
                         group's smallest ai_action_register.id: Moodle lists
                         providers, actions and models in the order it first meets
                         them, reading the rows in id order)
      error_counts       failures per errorcode (failures without errorcode are
                         not counted, as in Moodle, where array_count_values skips NULLs)
      predominant_errors the most frequent errorcode; a tie goes to the code met
                         FIRST in id order, as in Moodle (array_count_values keeps
                         first-seen order and PHP 8's arsort is stable)
-#}
{% macro ai_usage_aggregate_ctes(from_cte, group_columns) -%}
    {%- set keys = group_columns | join(', ') -%}
usage_counts as (

    select
        {{ keys }},
        cast(sum(case when is_success then 1 else 0 end) as {{ dbt.type_bigint() }}) as success_count,
        cast(sum(case when is_success then 0 else 1 end) as {{ dbt.type_bigint() }}) as fail_count,
        sum(case when is_success then duration_seconds end) as success_time,
        min(ai_action_id) as first_register_id
    from {{ from_cte }}
    group by {{ keys }}

),

error_counts as (

    select
        {{ keys }},
        errorcode,
        cast(count(*) as {{ dbt.type_bigint() }}) as n_failures,
        min(ai_action_id) as first_register_id
    from {{ from_cte }}
    where not is_success and errorcode is not null
    group by {{ keys }}, errorcode

),

ranked_errors as (

    select
        {{ keys }},
        errorcode,
        row_number() over (
            partition by {{ keys }}
            order by n_failures desc, first_register_id asc
        ) as error_rank
    from error_counts

),

predominant_errors as (

    select
        {{ keys }},
        errorcode as predominant_error
    from ranked_errors
    where error_rank = 1

)
{%- endmacro %}

{#-
    Data test: the model has no column that could identify a person (user ids,
    context ids, error messages, names, e-mail addresses). Fails with one row per
    offending column. `forbidden` are exact names; `forbidden_fragments` are
    parts of names (case-insensitive).
-#}
{% test has_no_personal_columns(
    model,
    forbidden=['userid', 'user_id', 'usermodified', 'contextid', 'context_id', 'errormessage',
               'error_message', 'username', 'firstname', 'lastname', 'email', 'ip', 'ipaddress',
               'lastip', 'actionid', 'prompt', 'generatedcontent'],
    forbidden_fragments=['user', 'context', 'message', 'email', 'prompt']
) %}
    {%- set offending = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(model) -%}
            {%- set name = column.name | lower -%}
            {%- set ns = namespace(bad=(name in forbidden)) -%}
            {%- for fragment in forbidden_fragments -%}
                {%- if fragment in name -%}{%- set ns.bad = true -%}{%- endif -%}
            {%- endfor -%}
            {%- if ns.bad -%}{%- do offending.append(name) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if offending | length > 0 -%}
        {%- for name in offending %}
    select '{{ name }}' as personal_column
            {%- if not loop.last %} union all{% endif %}
        {%- endfor %}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as personal_column
    where 1 = 0
    {%- endif %}
{% endtest %}
