# The two quick-start commands:
#   make demo   set up, generate the demo Moodle site, `dbt build` it on DuckDB
#   make test   set up, lint (ruff, sqlfluff) and run the whole test suite
#   make serve  the web app over the demo (after make demo): http://127.0.0.1:8000
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_SIZE ?= small
DEMO_DIR ?= data/demo

OULAD_DIR ?= ../shared/datasets/oulad

.PHONY: setup demo demo-data build docs lint test pytest clean daily oulad oulad-benchmark serve publish

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

demo-data: setup
	$(BIN)/python -m early_warning.demo --out $(DEMO_DIR) --size $(DEMO_SIZE)

demo: demo-data
	$(BIN)/dbt build --vars '{moodle_files_path: $(DEMO_DIR)}'
	$(BIN)/early-warning publish

# the curators' and teachers' web app on http://127.0.0.1:8000 (README "Web app"), after `make demo`
serve: setup
	$(BIN)/early-warning serve

# copy the DuckDB warehouse to the file the web app reads (it keeps answering during a build)
publish: setup
	$(BIN)/early-warning publish

# the scheduled production run: everything but the unit tests (they run in CI)
daily: setup
	$(BIN)/dbt build --selector daily
	$(BIN)/early-warning publish

# the whole pipeline on the real OULAD files (README "OULAD"), in its own warehouse
oulad: setup
	EW_DUCKDB_PATH=target/oulad.duckdb EW_ML_PLOTS_PATH=target/oulad_plots $(BIN)/dbt build --vars '{lms_source: oulad, oulad_files_path: $(OULAD_DIR)}'

# the temporal benchmark against published results: benchmarks/oulad/report.md
oulad-benchmark: setup
	$(BIN)/python -m early_warning.oulad_benchmark --source $(OULAD_DIR) --out benchmarks/oulad

docs: setup
	$(BIN)/dbt docs generate --vars '{moodle_files_path: $(DEMO_DIR)}'

lint: setup
	$(BIN)/ruff check early_warning tests python_models
	$(BIN)/ruff format --check early_warning tests python_models
	@# an empty warehouse: against a built one, is_incremental() would render the incremental branches
	rm -f target/sqlfluff.duckdb
	EW_DUCKDB_PATH=target/sqlfluff.duckdb $(BIN)/sqlfluff lint models analyses
	EW_DUCKDB_PATH=target/sqlfluff.duckdb $(BIN)/sqlfluff lint models analyses --config .sqlfluff-oulad

pytest: setup
	$(BIN)/pytest

test: lint pytest

clean:
	rm -rf target logs data
