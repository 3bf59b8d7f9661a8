"""The run folder: what a pretraining run keeps on disk, read the same way by the app, the CLI and scripts.

- folder.py: the layout (config.json, summary.json, ...), JSON reads and writes, typed reads, listing and deleting
- config.py: TrainConfig, what a run does, as config.json holds it
- process.py: whether a run's process is still alive
- progress.py: a run's progress as a reader sees it (time, steps, every kNN figure)
- snapshot_files.py: the snapshots/ folder (h of a fixed sample while it trains, the live map's maps)
"""
