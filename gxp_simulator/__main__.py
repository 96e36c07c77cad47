"""`python -m gxp_simulator`."""

import sys

from gxp_simulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
