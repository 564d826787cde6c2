"""Deterministic demo Moodle site: every contract table, with known student behaviour.

>>> from early_warning.demo import generate_site
>>> manifest = generate_site("data/demo", size="tiny", seed=42)  # doctest: +SKIP
"""

from early_warning.demo.generator import (
    ARCHETYPES,
    DEFAULT_NOW,
    SIZES,
    SiteSize,
    generate_site,
    parse_now,
)

__all__ = ["ARCHETYPES", "DEFAULT_NOW", "SIZES", "SiteSize", "generate_site", "parse_now"]
