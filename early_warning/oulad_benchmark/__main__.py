"""``python -m early_warning.oulad_benchmark --source <oulad folder> --out benchmarks/oulad``."""

import sys

from early_warning.oulad_benchmark import main

sys.exit(main())
