"""Shared fixtures: generated demo sites and dbt builds on them (built once per session)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from early_warning.dbt_runner import DbtProject

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


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
def web_published(tiny_build: DbtProject, tmp_path_factory) -> Path:
    """The tiny build published for the app (copied once per session)."""
    from early_warning.web.publish import publish

    target = tmp_path_factory.mktemp("web") / "warehouse.published.duckdb"
    return publish(tiny_build.duckdb_path, target)


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
