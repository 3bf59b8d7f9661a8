"""Lecture: SimCLR in fifteen minutes, one page state per step, each with a question for the room."""

import streamlit as st

from ui.classroom import STEPS, step_link

st.title("SimCLR in fifteen minutes")
st.caption(
    "A guided path through the course's Unit 7.7. Each step opens the page it happens on, already set up, "
    "with one question to ask the room before revealing the answer. Everything works offline. Switch on "
    "presenter mode in the sidebar for a projector."
)
for number, step in enumerate(STEPS, start=1):
    with st.container(border=True):
        st.markdown(f"**{number}. {step.title}**: {step.text}")
        step_link(number, "Open this step")
