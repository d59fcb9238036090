import sys

from polner.cli import main

sys.exit(main())
