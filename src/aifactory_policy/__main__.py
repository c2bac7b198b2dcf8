"""`python -m aifactory_policy`."""
import sys

from .cli import main

sys.exit(main())
