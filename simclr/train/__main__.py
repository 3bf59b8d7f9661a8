from simclr.train.cli import main

raise SystemExit(main())
