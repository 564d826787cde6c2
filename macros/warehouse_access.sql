{#-
    The production warehouse (PostgreSQL): planner statistics, who may read what.
    On DuckDB (embedded, single user) these macros do nothing.

    Roles (names are dbt vars, defaults below; README "PostgreSQL"):
      reporting_role (ew_reporting)  SELECT on every table and view of the marts
                                     schema (<target schema>_marts), nothing upstream.
      teacher_role   (ew_teacher)    SELECT on the views of the teacher schema
                                     (<target schema>_teacher) only; each view shows
                                     the rows of the courses where Moodle gives the
                                     database user `moodle/analytics:listinsights`.
-#}

{#- The reporting and teacher group roles (dbt vars reporting_role, teacher_role). -#}
{% macro reporting_role_name() -%}
    {{ return(var('reporting_role', 'ew_reporting')) }}
{%- endmacro %}

{% macro teacher_role_name() -%}
    {{ return(var('teacher_role', 'ew_teacher')) }}
{%- endmacro %}

{#-
    post-hook of every model: ANALYZE each table dbt builds on PostgreSQL. dbt
    creates tables with CREATE TABLE AS, which leaves them without statistics
    until autovacuum comes by; the next model's plan then assumes one row per
    table (a nested loop over the log took 30 s instead of 0.2 s on the small site).
-#}
{% macro analyze_built_table() -%}
    {%- if target.type == 'postgres' and model.config.materialized in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}

{#-
    The database user a teacher view filters on, as the Moodle username it stands
    for: current_user without the var teacher_role_prefix (default ''), so that
    database roles may be namespaced (e.g. prefix 'moodle_' maps the role
    moodle_jsmith to the Moodle user jsmith). NULL when current_user lacks the prefix.
-#}
{% macro current_moodle_username() -%}
    {{ return(adapter.dispatch('current_moodle_username', 'early_warning')()) }}
{%- endmacro %}

{#-
    DuckDB (one user, `duckdb`): the Moodle username the web app sets on its
    connection with SET VARIABLE ew_moodle_username = '...' (NULL, so no rows,
    when unset), so that the app filters with these same views.
-#}
{% macro duckdb__current_moodle_username() -%}
    getvariable('ew_moodle_username')
{%- endmacro %}

{% macro default__current_moodle_username() -%}
    {%- set prefix = var('teacher_role_prefix', '') -%}
    {%- if prefix -%}
        case
            when substr(current_user, 1, {{ prefix | length }}) = '{{ prefix }}'
                then substr(current_user, {{ (prefix | length) + 1 }})
        end
    {%- else -%}
        current_user
    {%- endif -%}
{%- endmacro %}

{#-
    The access rule of every teacher view, defined once: the ids of the courses
    the current user may see (mart_course_access: Moodle's listinsights roles),
    as a subquery for `courseid in {{ my_courseids() }}`.
-#}
{% macro my_courseids() -%}
    (
        select course_access.courseid
        from {{ ref('mart_course_access') }} as course_access
        where course_access.username = {{ current_moodle_username() }}
    )
{%- endmacro %}

{#-
    post-hook of the teacher views on PostgreSQL: security_barrier, so that a
    teacher's own WHERE clause (e.g. a leaky function) is never evaluated on rows
    of other courses before the view's filter.
-#}
{% macro harden_teacher_view() -%}
    {%- if target.type == 'postgres' -%}
        alter view {{ this }} set (security_barrier = true)
    {%- endif -%}
{%- endmacro %}

{#-
    dbt run-operation grant_reporting_access [--args '{reporting_role: r, teacher_role: t}']

    Run it once after the first `dbt build` on PostgreSQL, as the user dbt builds
    with (it owns the schemas). It creates the two group roles (NOLOGIN) when
    missing, grants them what is described at the top of this file, and sets
    default privileges so that the tables and views dbt recreates on every later
    build keep those grants. It also revokes anything either role holds on the
    staging, intermediate, target and raw Moodle schemas. Log-in roles get access
    by membership: GRANT ew_reporting TO alice; a teacher's role is named like
    their Moodle username (plus teacher_role_prefix) and is GRANTed ew_teacher.
-#}
{% macro grant_reporting_access(reporting_role=none, teacher_role=none) %}
    {%- if target.type != 'postgres' -%}
        {{ log("grant_reporting_access: nothing to do on " ~ target.type ~ " (PostgreSQL only).", info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set reporting = reporting_role or reporting_role_name() -%}
    {%- set teacher = teacher_role or teacher_role_name() -%}
    {%- set marts_schema = generate_schema_name('marts', none) | trim -%}
    {%- set teacher_schema = generate_schema_name('teacher', none) | trim -%}
    {%- set upstream = [
        generate_schema_name('staging', none) | trim,
        generate_schema_name('intermediate', none) | trim,
        target.schema,
        var('moodle_schema'),
    ] -%}
    {%- set q = adapter.quote -%}
    {%- set statements = [] -%}
    {%- for role in [reporting, teacher] -%}
        {%- do statements.append(
            "do $$ begin if not exists (select from pg_roles where rolname = '" ~ role ~ "') then"
            ~ " create role " ~ q(role) ~ " nologin; end if; end $$"
        ) -%}
    {%- endfor -%}
    {%- for schema in [marts_schema, teacher_schema] -%}
        {%- do statements.append("create schema if not exists " ~ q(schema)) -%}
    {%- endfor -%}
    {#- reporting: the marts, now and for every table dbt creates there later -#}
    {%- do statements.append("grant usage on schema " ~ q(marts_schema) ~ " to " ~ q(reporting)) -%}
    {%- do statements.append("grant select on all tables in schema " ~ q(marts_schema) ~ " to " ~ q(reporting)) -%}
    {%- do statements.append(
        "alter default privileges in schema " ~ q(marts_schema) ~ " grant select on tables to " ~ q(reporting)
    ) -%}
    {#- teachers: the filtering views only, never the marts themselves -#}
    {%- do statements.append("grant usage on schema " ~ q(teacher_schema) ~ " to " ~ q(teacher)) -%}
    {%- do statements.append("grant select on all tables in schema " ~ q(teacher_schema) ~ " to " ~ q(teacher)) -%}
    {%- do statements.append(
        "alter default privileges in schema " ~ q(teacher_schema) ~ " grant select on tables to " ~ q(teacher)
    ) -%}
    {%- do statements.append("revoke all on schema " ~ q(marts_schema) ~ " from " ~ q(teacher)) -%}
    {%- do statements.append("revoke all on all tables in schema " ~ q(marts_schema) ~ " from " ~ q(teacher)) -%}
    {%- do statements.append(
        "alter default privileges in schema " ~ q(marts_schema) ~ " revoke all on tables from " ~ q(teacher)
    ) -%}
    {#- nothing upstream for either role -#}
    {%- set existing = run_query(
        "select nspname from pg_namespace where nspname in ('" ~ (upstream | join("', '")) ~ "')"
    ) -%}
    {%- for row in existing -%}
        {%- set schema = row[0] -%}
        {%- if schema not in [marts_schema, teacher_schema] -%}
            {%- for role in [reporting, teacher] -%}
                {%- do statements.append("revoke all on schema " ~ q(schema) ~ " from " ~ q(role)) -%}
                {%- do statements.append("revoke all on all tables in schema " ~ q(schema) ~ " from " ~ q(role)) -%}
                {%- do statements.append(
                    "alter default privileges in schema " ~ q(schema) ~ " revoke all on tables from " ~ q(role)
                ) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for statement in statements -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {{ log(
        "grant_reporting_access: " ~ reporting ~ " may select " ~ marts_schema ~ ".*; " ~ teacher
        ~ " may select " ~ teacher_schema ~ ".* (rows of their own courses); neither may read "
        ~ (upstream | join(', ')) ~ ".",
        info=true
    ) }}
{% endmacro %}


{% macro missing_warehouse_tables(schema, names) -%}
    {#-
        Run-start checks (check_moodle_source, check_oulad_source): the names of
        `names` that are not tables or views of `schema` in the warehouse
        (case-insensitive), each as schema.name, in the order given.
    -#}
    {%- set found_rows = run_query(
        "select table_name from information_schema.tables where table_schema = '" ~ schema ~ "'"
    ) -%}
    {%- set found = [] -%}
    {%- for row in found_rows -%}
        {%- do found.append(row[0] | lower) -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- for name in names if name | lower not in found -%}
        {%- do missing.append(schema ~ '.' ~ name) -%}
    {%- endfor -%}
    {{ return(missing) }}
{%- endmacro %}
