"""Test-session edge: one intra-op thread, so tests do not fight the servers and trainers they start."""

import torch

torch.set_num_threads(1)
