"""Run dbt from Python with an isolated warehouse and target directory.

Used by the tests and the benchmark so that several builds (different data,
different `as_of`) never share a DuckDB file or compiled artefacts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def model_column_meta(model: str, project_dir: Path = PROJECT_DIR) -> dict[str, dict]:
    """The ``meta`` of every documented column of a model, from the project's yml files.

    Lets Python read what the dbt project declares once (e.g. which week features come
    from the activity log) without a build.
    """
    import yaml

    for path in sorted(project_dir.glob("models/**/*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for node in document.get("models") or []:
            if node.get("name") == model:
                return {
                    column["name"]: dict(
                        column.get("meta") or (column.get("config") or {}).get("meta") or {}
                    )
                    for column in node.get("columns") or []
                }
    raise KeyError(f"model {model} is documented in no yml file under {project_dir / 'models'}")


class DbtError(RuntimeError):
    """dbt exited non-zero; the message holds the end of its output."""


@dataclass
class DbtProject:
    """One isolated dbt environment: its own DuckDB file and target directory."""

    workdir: Path
    vars: dict = field(default_factory=dict)
    target: str = "duckdb"
    extra_env: dict = field(default_factory=dict)

    @property
    def duckdb_path(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    @property
    def target_path(self) -> Path:
        return self.workdir / "target"

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(
            EW_TARGET=self.target,
            EW_DUCKDB_PATH=str(self.duckdb_path),
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            DBT_LOG_PATH=str(self.workdir / "logs"),
            # model-quality plots of a test or benchmark build stay in its workdir
            EW_ML_PLOTS_PATH=str(self.workdir / "plots"),
        )
        env.update(self.extra_env)
        return env

    def run(
        self, *args: str, vars: dict | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run `dbt <args>` in the project directory; raise DbtError on failure when check."""
        merged = {**self.vars, **(vars or {})}
        dbt = Path(sys.executable).with_name("dbt")
        cmd = [str(dbt), *args, "--target-path", str(self.target_path)]
        if merged:
            cmd += ["--vars", json.dumps(merged)]
        self.workdir.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            cmd, cwd=PROJECT_DIR, env=self.env(), capture_output=True, text=True, check=False
        )
        if check and proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
            raise DbtError(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
        return proc

    def query(self, sql: str) -> list[tuple]:
        """Run a read-only query against this project's DuckDB warehouse."""
        import duckdb

        con = duckdb.connect(str(self.duckdb_path), read_only=True)
        try:
            return con.sql(sql).fetchall()
        finally:
            con.close()

    def query_df(self, sql: str):
        """Like query, as a pandas DataFrame."""
        import duckdb

        con = duckdb.connect(str(self.duckdb_path), read_only=True)
        try:
            return con.sql(sql).df()
        finally:
            con.close()
