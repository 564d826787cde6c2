"""Shared fixtures: generated demo sites and dbt builds on them (built once per session)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from early_warning.dbt_runner import DbtProject

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# the dirty fixture's times (UTC): course start S = 2024-01-01, a week W, a day D
S, W, D = 1704067200, 604800, 86400


@pytest.fixture(scope="session")
def tiny_site(tmp_path_factory) -> dict:
    """A tiny generated Moodle site in Parquet: {'path': Path, 'manifest': dict}."""
    from early_warning.demo import generate_site

    path = tmp_path_factory.mktemp("tiny_site")
    manifest = generate_site(path, size="tiny", seed=7, fmt="parquet", progress=False)
    return {"path": path, "manifest": manifest}


@pytest.fixture(scope="session")
def tiny_build(tiny_site, tmp_path_factory) -> DbtProject:
    """`dbt build` (all models and tests) on the tiny site, as_of = the site's now."""
    project = DbtProject(
        workdir=tmp_path_factory.mktemp("tiny_build"),
        vars={
            "moodle_files_path": str(tiny_site["path"]),
            "as_of": int(tiny_site["manifest"]["now"]),
        },
    )
    project.run("build")
    return project


def _dirty_copy(tmp_path, edit):
    """A copy of the dirty fixture, each CSV's lines passed through edit(table, lines)."""
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "moodle_dirty", site)
    for csv in site.glob("*.csv"):
        lines = csv.read_text().splitlines()
        csv.write_text("\n".join(edit(csv.stem, lines)) + "\n")
    return site


def _hostile_edit(table, lines):
    """Broken courses and duplicated ids next to the dirty fixture's sane courses 2 and 3."""
    if table == "course":
        return [
            *lines,
            f"5,1,Ends before it starts,BACKWARDS,{S},{S - W},1,0",
            "6,1,Start date zero,ZERO,0,0,1,0",
            lines[4],  # course 4 exported twice
        ]
    if table == "user":
        return [*lines, lines[2]]  # user 11 exported twice
    if table == "enrol":
        return [*lines, "103,5,0,manual", "104,6,0,manual"]
    if table == "user_enrolments":
        return [*lines, f"6,103,10,0,{S},0,{S}", f"7,104,10,0,{S},0,{S}"]
    if table == "context":
        return [*lines, "53,50,5", "54,50,6"]
    if table == "role_assignments":
        return [*lines, "6,5,53,10", "7,5,54,10", "8,3,53,20", "9,3,54,20"]
    if table == "logstore_standard_log":
        row = r"\core\event\course_viewed,core,viewed,course,r,2,{ctx},50,{c},10,{c},,0,{t},web"
        return [
            *lines,
            "13," + row.format(ctx=53, c=5, t=S + D),
            "14," + row.format(ctx=54, c=6, t=S + D),
        ]
    return lines


@pytest.fixture(scope="session")
def dirty_copy():
    """dirty_copy(tmp_path, edit): a copy of the dirty fixture, each CSV's lines edited."""
    return _dirty_copy


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory) -> Path:
    """The dirty fixture plus broken courses (5: ends before it starts, 6: startdate 0),
    course 4 and user 11 exported twice (CSV files, for DuckDB and the PostgreSQL loader)."""
    return _dirty_copy(tmp_path_factory.mktemp("hostile"), _hostile_edit)


@pytest.fixture(scope="session")
def dirty_build(tmp_path_factory) -> DbtProject:
    """`dbt build` on the hand-made dirty fixture (CSV exports with bad rows)."""
    project = DbtProject(
        workdir=tmp_path_factory.mktemp("dirty_build"),
        vars={"moodle_files_path": str(FIXTURES / "moodle_dirty"), "moodle_files_format": "csv"},
    )
    project.run("build")
    return project


@pytest.fixture(scope="session")
def web_build(tiny_build: DbtProject, tmp_path_factory) -> DbtProject:
    """A copy of the tiny build whose scores are shown although the guard for teachers
    withholds the tiny site's models (var ml_guard_enabled false): the pages need scores."""
    project = DbtProject(
        workdir=tmp_path_factory.mktemp("web_build"),
        vars={**tiny_build.vars, "ml_guard_enabled": False},
    )
    project.workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_build.duckdb_path, project.duckdb_path)
    project.run("build", "--select", "ml_models+")
    return project


@pytest.fixture(scope="session")
def web_published(web_build: DbtProject, tmp_path_factory) -> Path:
    """The web build published for the app (copied once per session)."""
    from early_warning.web.publish import publish

    target = tmp_path_factory.mktemp("web") / "warehouse.published.duckdb"
    return publish(web_build.duckdb_path, target)


@pytest.fixture(scope="session")
def web_settings(web_published):
    from early_warning.web.config import WebSettings

    return WebSettings.from_env(
        environ={
            "EW_TARGET": "duckdb",
            "EW_WEB_DUCKDB_PATH": str(web_published),
            # no live warehouse: the card shows that contact is unavailable (test_web's
            # contact tests write to a copy of their own)
            "EW_WEB_WAREHOUSE_PATH": str(web_published.parent / "no-live-warehouse.duckdb"),
        }
    )


def _undocumented(project: DbtProject, keep) -> list[str]:
    """Models (and seeds) kept by ``keep(node)`` without a description, and their
    built columns (dbt's catalog) without one, after `dbt docs generate` (no compile:
    the project was built, the catalog reads the warehouse)."""
    project.run("docs", "generate", "--no-compile")
    manifest = json.loads((project.target_path / "manifest.json").read_text())
    catalog = json.loads((project.target_path / "catalog.json").read_text())
    missing = []
    for unique_id, node in manifest["nodes"].items():
        if not keep(node):
            continue
        if not node.get("description", "").strip():
            missing.append(unique_id)
        documented = {
            name.lower()
            for name, col in node["columns"].items()
            if col.get("description", "").strip()
        }
        for column in catalog["nodes"].get(unique_id, {}).get("columns", {}):
            if column.lower() not in documented:
                missing.append(f"{unique_id}.{column}")
    return missing


@pytest.fixture(scope="session")
def undocumented():
    """undocumented(project, keep): what the docs site would show without a description."""
    return _undocumented
