"""`python -m simclr.train` loads each simclr module once (issue 10: the CLI used to import itself twice)."""
import collections
import subprocess
import sys


def test_train_cli_imports_each_simclr_module_once():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "simclr.train", "--help"],
                            capture_output=True, text=True, timeout=600, check=True)
    names = [line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    ours = collections.Counter(name for name in names if name == "simclr" or name.startswith("simclr."))
    assert {"simclr.train.cli", "simclr.train.loop", "simclr.runs.config"} <= set(ours), ours  # the scan saw the modules
    assert [name for name, count in ours.items() if count > 1] == []
    assert "usage: python -m simclr.train" in result.stdout
