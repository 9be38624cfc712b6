"""`python -m knowledge`: ingest, search, delete, stats, ensure, rebuild, eval."""

from __future__ import annotations

import sys

from knowledge.cli import main

sys.exit(main())
