"""The temporal OULAD benchmark on a small slice, checked against pandas on the raw files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from early_warning.oulad import DEFAULT_OULAD_PATH, oulad_file, write_slice
from early_warning.oulad_benchmark import point_week, run_benchmark

pytestmark = pytest.mark.dbt

PRESENTATIONS = [("AAA", "2013J"), ("AAA", "2014J"), ("BBB", "2013J"), ("BBB", "2014J")]
METRICS = ["roc_auc", "pr_auc", "brier", "balanced_accuracy", "f1"]


@pytest.fixture(scope="module")
def benchmark(tmp_path_factory):
    if not oulad_file(DEFAULT_OULAD_PATH, "studentVle").exists():  # pragma: no cover
        pytest.skip("shared OULAD copy not found")
    source = tmp_path_factory.mktemp("oulad_slice")
    write_slice(DEFAULT_OULAD_PATH, source, PRESENTATIONS, max_students=150)
    out = tmp_path_factory.mktemp("oulad_benchmark")
    table = run_benchmark(
        source, out, workdir=tmp_path_factory.mktemp("oulad_wd"), curve_weeks=[1, 20]
    )
    return {"source": source, "out": out, "table": table}


def test_results_have_the_expected_splits_points_and_targets(benchmark):
    table = pd.read_csv(benchmark["out"] / "results.csv")
    assert len(table) == len(benchmark["table"])
    per_module = table[table.module != "ALL"]
    assert set(per_module.split) == {"AAA 2013 -> 2014", "BBB 2013 -> 2014"}
    assert set(table.target) == {"dropout", "completion"}
    points = set(per_module[per_module.split == "BBB 2013 -> 2014"].point)
    assert points == {"25%", "50%", "75%"}
    assert {"week 1", "week 20"} <= set(table[table.split == "AAA 2013 -> 2014"].point)
    # clicks only where both sides have a click log (AAA); never for BBB (the ablation sets
    # of issue 15 included: the features before it, and each group added alone)
    from early_warning.oulad_benchmark.splits import FEATURE_SETS

    bbb_sets = set(table[table.split == "BBB 2013 -> 2014"].feature_set)
    assert bbb_sets == {fs for fs in FEATURE_SETS if fs.startswith("no_clicks")}
    aaa = table[(table.split == "AAA 2013 -> 2014") & (table.point == "50%")]
    assert set(aaa.feature_set) == set(FEATURE_SETS)
    # site-wide models: the ablation sets with gradient boosting only
    ablation = aaa[aaa.feature_set == "no_clicks_base"]
    assert set(ablation.model) == {"gradient_boosting"}
    assert set(aaa.model) == {
        "logistic_regression",
        "gradient_boosting",
        "baseline_no_click_14d",
        "baseline_last_score",
        "baseline_assignments_missing",
        "baseline_prevalence",
    }
    assert "baseline_no_click_14d" not in set(table[table.split == "BBB 2013 -> 2014"].model)
    assert "ALL modules 2013 -> 2014 (pooled)" in set(table.split)
    # one row per split x target x point x feature set x model
    key = ["split", "target", "point", "feature_set", "model"]
    assert not table.duplicated(key).any()


def test_metrics_are_in_range(benchmark):
    table = benchmark["table"]
    for metric in METRICS:
        values = table[metric].dropna()
        assert len(values) > 0
        assert ((values >= 0) & (values <= 1)).all(), metric
    assert (table.n > 0).all()
    # the constant baseline ranks nobody within one split: AUC 0.5 (pooled rows mix
    # the constants of several modules)
    constant = table[(table.model == "baseline_prevalence") & (table.module != "ALL")]
    constant = constant.roc_auc.dropna()
    assert len(constant) > 0
    assert np.allclose(constant, 0.5)


def test_test_population_and_prevalence_match_the_raw_files(benchmark):
    """Students of AAA 2014J registered in the 50% week, and their share of Withdrawn."""
    source = benchmark["source"]
    courses = pd.read_csv(oulad_file(source, "courses"))
    length = int(
        courses.query("code_module == 'AAA' and code_presentation == '2014J'")[
            "module_presentation_length"
        ].iloc[0]
    )
    week = int(length * 0.5) // 7 + 1
    assert week == point_week(length, 0.5)
    reg = pd.read_csv(oulad_file(source, "studentRegistration"), na_values=["?", ""])
    info = pd.read_csv(oulad_file(source, "studentInfo"))
    students = reg.merge(info, on=["code_module", "code_presentation", "id_student"]).query(
        "code_module == 'AAA' and code_presentation == '2014J'"
    )
    start, end = 7 * (week - 1), 7 * week
    registered = students[
        (students.date_registration.isna() | (students.date_registration < end))
        & (students.date_unregistration.isna() | (students.date_unregistration >= start))
    ]
    expected_dropout = (registered.final_result == "Withdrawn").mean()
    expected_completion = registered.final_result.isin(["Pass", "Distinction"]).mean()

    table = benchmark["table"]
    rows = table[(table.split == "AAA 2013 -> 2014") & (table.point == "50%")]
    dropout = rows[rows.target == "dropout"]
    completion = rows[rows.target == "completion"]
    assert (dropout.n == len(registered)).all()
    assert dropout.test_weeks.iloc[0] == str(week)
    assert np.allclose(dropout.prevalence, expected_dropout)
    assert np.allclose(completion.prevalence, expected_completion)
    # the constant baseline's Brier score: training prevalence against the test labels
    constant = dropout[dropout.model == "baseline_prevalence"].iloc[0]
    y = (registered.final_result == "Withdrawn").to_numpy(float)
    assert constant.brier == pytest.approx(np.mean((constant.train_prevalence - y) ** 2))


def test_report_is_written(benchmark):
    report = (benchmark["out"] / "report.md").read_text()
    for text in (
        "python -m early_warning.oulad_benchmark",
        "doi:10.1038/sdata.2017.171",
        "CC BY 4.0",
        "## Published results",
        "Jha",
        "Adnan",
        "still registered",
        "site-wide",
        "## Ablation: what each feature group adds",
    ):
        assert text in report
    assert (benchmark["out"] / "week_by_week_auc.png").exists()
