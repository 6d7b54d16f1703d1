import sys

from bedrock_lifecycle.cli import main

sys.exit(main())
