"""`python -m simclr.train`: the pretraining command line (simclr.train.cli); the loop is simclr.train.loop."""
from simclr.train.cli import main

raise SystemExit(main())
