"""``python -m grader``: the command-line interface (see :mod:`grader.cli`)."""

import sys

from .cli import main

# The guard matters: the sandbox's spawned worker processes import this module.
if __name__ == "__main__":
    sys.exit(main())
