"""``python -m sim`` runs the capsim command line (same as the ``capsim`` script)."""

import sys

from sim.cli import main

sys.exit(main())
