"""``python -m mlops_jupyter`` runs the CLI."""

import sys

from .cli import main

sys.exit(main())
