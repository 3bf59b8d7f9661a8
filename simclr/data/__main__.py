"""python -m simclr.data download cifar10 [--root DIR]"""
import sys

from simclr.data.registry import main

sys.exit(main())
