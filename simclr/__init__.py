"""SimCLR Playground's model package: data, augmentations, loss, encoders, training, evaluation.

No Streamlit here: everything a page computes, a script can compute with the same call.
"""
