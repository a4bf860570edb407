"""``python -m gradviz.bench``: the fast engine against the reference loop."""

import sys

from gradviz.bench.fastcheck import main

sys.exit(main())
