"""The baseline of the browser tour: Streamlit's own cost for one picture and one slider, nothing of ours.

It names its slider and caption as the Augmentations page does ("Jitter strength", "view 1"), so the tour
times both with the same code.
"""
import numpy as np
import streamlit as st

strength = st.slider("Jitter strength", 0.0, 2.0, 0.5, step=0.05)
st.image(np.full((28, 28), round(strength * 100), np.uint8), caption="view 1", width=112)
