import sys

from netlib.cli import main

sys.exit(main())
