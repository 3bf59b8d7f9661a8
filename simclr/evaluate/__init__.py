"""How good are the learned features? Pure evaluation functions, the splits that judge a run, and its report.

- embed.py: as_input, embed (h and z of stored images)
- knn.py: knn_predict / knn_predictions / knn_accuracy, nearest_neighbours, KNN_TEMPERATURE, Vote
- linear_probe.py: ProbeConfig, linear_probe (the paper's linear evaluation)
- transfer.py: few-label transfer (linear, fine-tune, scratch)
- splits.py: the validation split (choosing) and the test split (reporting)
- report.py: the report of a checkpoint, kept beside it (eval-best.json)
- baselines.py: the report's raw-pixel and random-init rows, kept once in the data root
- neighbours.py: how an image's nearest neighbours changed with training
- cli.py, __main__.py: `python -m simclr.evaluate RUN`
"""
