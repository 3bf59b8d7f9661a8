"""SimCLR Playground's library, one folder per idea of the paper and the product:

data/ (datasets), augment/ (the views), loss.py (NT-Xent), similarity.py (one batch through the loss, as the
Similarity page shows it), model/ (f, g, checkpoints), train/ (the loop and everything around it), evaluate/
(kNN, linear probe, transfer, splits, the report), runs/ (the run folder), maps/ (PCA, UMAP, the live map, the
projector export); device.py and atomic.py serve them all.
No Streamlit here: everything a page computes, a script can compute with the same call.
"""
