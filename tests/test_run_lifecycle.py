"""What the app reads from a run folder while the run starts: never a failed run that is only getting ready."""
import threading
import time

from simclr.runs import folder
from simclr.runs.config import TrainConfig
from simclr.train.loop import train


def test_a_starting_run_never_reads_as_failed(tmp_path):
    run_dir = tmp_path / "starting"
    seen, done = [], threading.Event()

    def watch() -> None:  # what the Training page's live view reads, as often as it could
        while not done.is_set():
            if (run_dir / folder.CONFIG).is_file():
                seen.append(folder.run_info(run_dir).status)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    config = TrainConfig(subset=64, batch_size=32, eval_images=1000, max_steps=2, threads=1)
    try:
        for _ in train(config, run_dir):
            pass
    finally:
        done.set()
        watcher.join()
    assert seen, "the watcher saw the run folder"
    assert "failed" not in seen, f"read as failed {seen.count('failed')} times before it ran"
