"""The tree follows the build order, names say the layer, shared models never branch on the source.

Checked on dbt's manifest (every model, enabled or not), so that a newcomer
can trust the folder and the name of a model (README "Layout"):

* ``stg_<source>__<entity>``  models/staging/<source>/: the only models that call source();
* ``int_<source>_<entity>_mapped``  models/intermediate/lms/<source>/: the source mapped onto
  the canonical inputs that the shared models read through lms_ref();
* ``int_``  models/intermediate/<area>/: shared business logic, upstream of every mart;
  models/intermediate/incremental/ holds the bookkeeping of incremental runs, which is
  built after the models it keeps track of (marts included);
* ``ml_``  python_models/classifiers (dbt Python models) and models/ml (their tables, typed);
* ``fct_``  models/marts/core: facts at a fixed grain (a day, a week, an enrolment) that the
  classifiers and analysts build on;
* ``mart_``  models/marts/<domain>: the tables people read (curators, admins, analysts);
* ``my_``  models/marts/teacher: views of marts restricted to the database user's courses.
"""

from __future__ import annotations

import json
import re

import pytest

from early_warning.dbt_runner import DbtProject

pytestmark = pytest.mark.dbt

#: layer -> the layers its models may read (direct dependencies). "bookkeeping" is
#: int_course_weeks_to_reprocess: which course weeks the incremental models recompute.
ALLOWED_UPSTREAM = {
    "staging": set(),
    "lms": {"staging", "lms", "intermediate", "seed"},
    "intermediate": {"staging", "lms", "intermediate", "bookkeeping", "seed"},
    "fct": {"staging", "lms", "intermediate", "seed"},
    "ml": {"intermediate", "bookkeeping", "fct", "ml"},
    "mart": {"staging", "lms", "intermediate", "bookkeeping", "fct", "ml", "mart", "seed"},
    "teacher": {"intermediate", "mart"},
}


@pytest.fixture(scope="module")
def manifest(tiny_build: DbtProject) -> dict:
    """dbt's manifest of the tiny build (every node, the disabled ones included)."""
    return json.loads((tiny_build.target_path / "manifest.json").read_text())


def _models(manifest: dict) -> dict[str, dict]:
    """Every model of the project, enabled for the default source or not."""
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "early_warning"
    }
    for uid, nodes in manifest["disabled"].items():
        if uid.startswith("model.early_warning."):
            models.setdefault(uid, nodes[0])
    return models


def layer(node: dict) -> str:
    path = node["original_file_path"]
    if node["resource_type"] == "seed":
        return "seed"
    for prefix, name in (
        ("models/staging/", "staging"),
        ("models/intermediate/lms/", "lms"),
        ("models/intermediate/incremental/", "bookkeeping"),
        ("models/intermediate/", "intermediate"),
        ("python_models/", "ml"),
        ("models/ml/", "ml"),
        ("models/marts/teacher/", "teacher"),
    ):
        if path.startswith(prefix):
            return name
    if path.startswith("models/marts/"):
        return "fct" if node["name"].startswith("fct_") else "mart"
    return "unknown"


def test_every_model_is_named_after_its_layer(manifest):
    wrong = []
    for node in _models(manifest).values():
        name, path = node["name"], node["original_file_path"]
        folder = path.split("/")[-2]
        kind = layer(node)
        ok = {
            "staging": name.startswith(f"stg_{folder}__"),
            "lms": name.startswith(f"int_{folder}_") and name.endswith("_mapped"),
            "bookkeeping": name.startswith("int_"),
            "intermediate": name.startswith("int_") and not name.endswith("_mapped"),
            "ml": name.startswith("ml_"),
            "fct": path.startswith("models/marts/core/"),
            "mart": name.startswith("mart_"),
            "teacher": name.startswith("my_") and node["config"]["materialized"] == "view",
        }.get(kind, False)
        if not ok:
            wrong.append(f"{name} ({path})")
    assert wrong == []


def test_layers_read_only_upstream(manifest):
    """Intermediate models never read a mart or the classifiers (the bookkeeping of
    incremental runs only waits for them), facts never read marts, and so on."""
    nodes = {**manifest["nodes"], **_models(manifest)}
    wrong = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["package_name"] != "early_warning":
            continue
        kind = layer(node)
        if kind == "bookkeeping":
            continue
        for parent in node["depends_on"]["nodes"]:
            if parent.startswith("source."):
                if kind != "staging" and not (kind == "ml" and ".ml_job." in parent):
                    wrong.append(f"{node['name']} reads {parent}")
                continue
            upstream = layer(nodes[parent])
            if upstream not in ALLOWED_UPSTREAM[kind]:
                wrong.append(f"{node['name']} ({kind}) reads {nodes[parent]['name']} ({upstream})")
    assert wrong == []


def test_shared_models_never_branch_on_the_source(manifest):
    """Source-specific logic lives in the source's own models (staging/<source>,
    intermediate/lms/<source>); every other model reads its inputs through lms_ref().
    The app's own tables (staging/app: delivery log, feedback) are no LMS source."""
    pattern = re.compile(
        r"lms_source\(|var\(\s*['\"]lms_source|ref\(\s*['\"](stg_(?!app__)|int_moodle_|int_oulad_)"
        r"|\bsource\(\s*['\"]"
    )
    branching = [
        node["name"]
        for node in _models(manifest).values()
        if layer(node) not in ("staging", "lms") and pattern.search(node["raw_code"])
    ]
    assert branching == []


#: Moodle staging models that are no canonical input: Moodle's own subsystems (AI usage) and
#: the tables its mapping models join (int_moodle_*_mapped)
MOODLE_ONLY = {"ai_actions", "contexts", "course_categories", "course_completions", "enrol_methods", "roles"}  # fmt: skip


def test_every_source_maps_every_canonical_entity(manifest):
    """Adding an LMS is adding a folder: each source provides every entity of lms_ref()."""
    mapped: dict[str, set[str]] = {}
    staged: set[str] = set()
    for node in _models(manifest).values():
        match = re.fullmatch(r"int_([a-z0-9]+)_(\w+)_mapped", node["name"])
        if layer(node) == "lms" and match:
            mapped.setdefault(match.group(1), set()).add(match.group(2))
        if node["name"].startswith("stg_moodle__"):
            staged.add(node["name"].split("__", 1)[1])
    canonical = mapped["moodle"] | (staged - MOODLE_ONLY)
    assert {"users", "courses", "log_events", "role_assignments", "enrolment_labels"} <= canonical
    mapped["moodle"] |= staged - MOODLE_ONLY  # Moodle, the reference shape: mostly staging
    missing = {source: sorted(canonical - entities) for source, entities in mapped.items()}
    assert missing == {source: [] for source in mapped}
