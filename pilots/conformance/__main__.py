"""``python -m pilots.conformance URL``: the same as ``flask check-url URL``, without the app's settings."""

import sys

from pilots.conformance.cli import main

sys.exit(main())
