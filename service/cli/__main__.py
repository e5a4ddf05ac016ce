"""``python -m planocr.cli``: the same as the ``planocr`` command."""

import sys

from planocr.cli import main

sys.exit(main())
