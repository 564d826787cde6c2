"""The curators' and teachers' web app over the marts (`early-warning serve`).

Server-rendered pages (FastAPI + Jinja2, charts drawn as SVG on the server, no
JavaScript build) and a JSON API, both reading the teacher views
(models/marts/teacher, ``my_*``) so that the warehouse decides who sees which
course:

* PostgreSQL: each user signs in with their database role; the app queries as
  that role, so the grants and the views' filter decide.
* DuckDB (the demo): the app reads the published copy of the warehouse
  (``early-warning publish``) and sets the connection variable
  ``ew_moodle_username`` that the same views filter on.

Modules: :mod:`.config` (settings from the environment), :mod:`.warehouse`
(connections as the signed-in user), :mod:`.queries` (what each page reads),
:mod:`.auth` (sessions, CSRF), :mod:`.charts` (SVG), :mod:`.app` (routes),
:mod:`.publish` (the DuckDB copy the app reads), :mod:`.benchmark`.
"""
