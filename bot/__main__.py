"""`python -m bot` is the `psychoed` command."""

import sys

from .cli import main

sys.exit(main())
