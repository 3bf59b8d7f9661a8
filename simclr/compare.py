"""`python -m simclr.compare` is now `python -m simclr.evaluate`: this old command says so, then runs it."""
import sys

from simclr.evaluate.cli import main

if __name__ == "__main__":
    print("python -m simclr.compare is now python -m simclr.evaluate; running that.", file=sys.stderr)
    sys.exit(main(prog="python -m simclr.compare"))
