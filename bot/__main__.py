"""`python -m bot` is `cables-bot`."""

import sys

from bot.cli import main

sys.exit(main())
