"""`python -m simclr.evaluate RUN [--checkpoint last.pt] [--transfer] [--device cuda]` (simclr.evaluate.cli)."""
from simclr.evaluate.cli import main

raise SystemExit(main())
