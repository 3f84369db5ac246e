"""Allow `python -m hfstage`."""

import sys

from hfstage.cli import main

sys.exit(main())
