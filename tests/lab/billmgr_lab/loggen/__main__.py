"""``python tests/lab/billmgr_lab/loggen big|logs ...``: the package run as a program."""

import sys
from pathlib import Path

if not __package__:
    # Run as a directory: import the package through tests/lab, so its relative imports resolve.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from billmgr_lab.loggen import main  # noqa: E402

sys.exit(main())
