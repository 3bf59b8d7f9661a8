"""2-D maps of embeddings, and embeddings to take away.

- reduce.py: PCA and UMAP to 2-D, the before/after alignment, k-means (not "projection": that is the head g)
- live.py: one map per training snapshot, each warm-started from the one before (the live map, the replay)
- stored.py: the Embeddings page's before/after UMAP maps, kept beside the checkpoint
- projector.py: TensorBoard Embedding Projector export, and the trained encoder's weights alone
"""
