"""Early-warning system for learning platforms: the Python side of the dbt project.

The dbt project (repository root) holds the SQL pipeline; this package holds
what is not SQL: the demo Moodle site generator, ML code, loaders and CLIs.
"""

__version__ = "0.1.0"
