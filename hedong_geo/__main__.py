import sys

from hedong_geo.cli import main

sys.exit(main())
