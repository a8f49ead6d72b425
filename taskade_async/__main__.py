"""``python -m taskade_async``: the ``taskade-async`` command."""

import sys

from taskade_async.cli import main

if __name__ == "__main__":
    sys.exit(main())
