"""`python -m studyplanner`: the same as the `studyplanner` command."""

import sys

from .cli import main

sys.exit(main())
