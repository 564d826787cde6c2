{#- Cross-database helpers not covered by dbt's built-in macros. -#}

{#- A one-column table `n` with the integers 1..upper_bound (upper_bound: a SQL scalar). -#}
{% macro integers_from_one(upper_bound) -%}
    {{ return(adapter.dispatch('integers_from_one', 'early_warning')(upper_bound)) }}
{%- endmacro %}

{% macro default__integers_from_one(upper_bound) -%}
    select cast(n as {{ dbt.type_bigint() }}) as n
    from generate_series(1, cast({{ upper_bound }} as {{ dbt.type_bigint() }})) as series (n)
{%- endmacro %}

{% macro spark__integers_from_one(upper_bound) -%}
    select cast(n as bigint) as n
    from (select explode(sequence(1, cast({{ upper_bound }} as int))) as n)
{%- endmacro %}

{#- Continuous percentile of an expression, as an aggregate. -#}
{% macro percentile_cont(expr, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'early_warning')(expr, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro spark__percentile_cont(expr, fraction) -%}
    percentile({{ expr }}, {{ fraction }})
{%- endmacro %}

{#- (numerator + 1) / (denominator + 1): a ratio that stays defined at zero activity. -#}
{% macro smoothed_ratio(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) + 1.0) / (cast({{ denominator }} as {{ type_double() }}) + 1.0)
{%- endmacro %}

{#- The enrolment key: '<courseid>-<userid>'. -#}
{% macro enrolment_key(courseid, userid) -%}
    {{ dbt.concat(["cast(" ~ courseid ~ " as " ~ dbt.type_string() ~ ")", "'-'", "cast(" ~ userid ~ " as " ~ dbt.type_string() ~ ")"]) }}
{%- endmacro %}

{#-
    A 64-bit float type. type_double() is a 4-byte FLOAT on DuckDB, too coarse
    for features and probabilities that must agree across engines to 1e-6.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'early_warning')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}


{#- A double rounded to `digits` decimals, as a double (PostgreSQL has no round(double, int)). -#}
{% macro round_double(expression, digits=9) -%}
    cast(round(cast({{ expression }} as decimal(38, 18)), {{ digits }}) as {{ type_double() }})
{%- endmacro %}

{#-
    Put between `as` and `(` of a CTE that is read more than once:
    `events as {{ not_materialized() }} (`. PostgreSQL would otherwise compute such a
    CTE once into an unindexed, unanalysed work table and plan the joins on it
    blind (on a large log: merge joins sorting millions of rows, no parallel
    workers); inlined, each use is planned on the real tables. DuckDB takes the
    same keyword; engines without it (Spark) get nothing.
-#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'early_warning')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro spark__not_materialized() -%}
{%- endmacro %}
