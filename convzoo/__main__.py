"""`python -m convzoo` (and `torchrun -m convzoo`) run the command line."""

import sys

from .cli import main

sys.exit(main())
