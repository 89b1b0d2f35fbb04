"""`python -m tests.smart_emulator`: fetch the device recordings into the cache (install step)."""

import sys

from .fixtures import main

sys.exit(main())
