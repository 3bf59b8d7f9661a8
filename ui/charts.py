"""Plotly figures the pages share: the similarity matrix, a softmax row, training curves."""

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ui.images import VIEW_COLOURS


def data_uri(picture: np.ndarray) -> str:
    """A small PNG as a data URI, so figures carry their own thumbnails (works offline)."""
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def similarity_heatmap(
    sim: np.ndarray, labels: list[str], thumbnails: list[np.ndarray], positives: np.ndarray, stretch: bool,
    height: int = 640,
) -> go.Figure:
    """The 2N x 2N cosine-similarity matrix, positives outlined, thumbnails along both axes.

    `stretch` spans the colours over this batch's range instead of [-1, 1]: a random network maps
    every image to nearly the same direction, and only a stretched scale shows its small differences.
    """
    n2 = len(sim)
    masked = sim.astype(float).copy()
    np.fill_diagonal(masked, np.nan)  # self-similarity is always 1 and is left out of the loss
    low, high = (np.nanmin(masked), np.nanmax(masked)) if stretch else (-1.0, 1.0)
    figure = go.Figure(go.Heatmap(
        z=masked, x=list(range(n2)), y=list(range(n2)), zmin=low, zmax=high, colorscale="RdBu_r",
        customdata=[[f"{labels[i]} vs {labels[j]}" for j in range(n2)] for i in range(n2)],
        hovertemplate="%{customdata}<br>cosine similarity %{z:.3f}<extra></extra>",
        colorbar={"title": "cos"},
    ))
    figure.add_trace(go.Scatter(
        x=positives, y=list(range(n2)), mode="markers", name="positive pair",
        marker={"symbol": "square-open", "size": max(6, 360 // n2), "color": "black", "line": {"width": 2}},
        hoverinfo="skip",
    ))
    size = 1.0
    for k, thumb in enumerate(thumbnails):
        uri = data_uri(thumb)
        common = {"source": uri, "sizex": size, "sizey": size, "xanchor": "center", "yanchor": "middle", "layer": "above"}
        figure.add_layout_image(x=k, y=-1.2, xref="x", yref="y", **common)
        figure.add_layout_image(x=-1.2, y=k, xref="x", yref="y", **common)
    figure.update_xaxes(range=[-1.8, n2 - 0.5], tickvals=list(range(n2)), ticktext=labels, side="top", showgrid=False)
    figure.update_yaxes(range=[n2 - 0.5, -1.8], tickvals=list(range(n2)), ticktext=labels, showgrid=False, scaleanchor="x")
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, showlegend=False)
    return figure


def softmax_row(probs: np.ndarray, labels: list[str], anchor: int, positive: int, hardest: list[int]) -> go.Figure:
    """One anchor's softmax over its 2N-1 candidates: the positive in red, the hardest negatives darker."""
    candidates = [j for j in range(len(probs)) if j != anchor]
    colours = [
        f"rgb{VIEW_COLOURS[0]}" if j == positive else "#4a4e69" if j in hardest else "#b8bedd" for j in candidates
    ]
    figure = go.Figure(go.Bar(
        x=[labels[j] for j in candidates], y=[probs[j] for j in candidates], marker_color=colours,
        hovertemplate="%{x}: p = %{y:.3f}<extra></extra>",
    ))
    chance = 1 / (len(probs) - 1)
    figure.add_hline(y=chance, line_dash="dash", line_color="grey", annotation_text="chance 1/(2N-1)",
                     annotation_position="top right")
    figure.update_layout(
        height=300, margin={"l": 10, "r": 10, "t": 40, "b": 10}, yaxis_title="softmax p",
        title=f"Anchor {labels[anchor]}: which candidate is its other view?",
    )
    return figure


def loss_temperature_curve(taus: np.ndarray, losses: np.ndarray, tau: float, loss: float, chance: float) -> go.Figure:
    """This batch's NT-Xent against the temperature (log axis), the chosen tau marked, chance dashed."""
    figure = go.Figure(go.Scatter(x=taus, y=losses, mode="lines", name="loss",
                                  hovertemplate="τ = %{x:.2f}: loss %{y:.3f}<extra></extra>"))
    figure.add_trace(go.Scatter(x=[tau], y=[loss], mode="markers", marker={"size": 12, "color": "#d62728"},
                                name=f"τ = {tau:g}", hovertemplate="chosen τ = %{x:.2f}: loss %{y:.3f}<extra></extra>"))
    figure.add_hline(y=chance, line_dash="dash", line_color="grey", annotation_text="chance ln(2N-1)")
    figure.update_xaxes(type="log", title="temperature τ")
    figure.update_yaxes(title="NT-Xent loss")
    figure.update_layout(title="This batch's loss at every temperature", height=300, showlegend=False,
                         margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def run_curves(series: dict[str, list[dict]], metric: str, title: str, chance: float | None = None) -> go.Figure:
    """One line per run of `metric` against the step; a dashed chance line where one is given."""
    figure = go.Figure()
    for name, rows in series.items():
        points = [(row["step"], row[metric]) for row in rows if row.get(metric) is not None]
        if points:
            steps, values = zip(*points)
            figure.add_trace(go.Scatter(x=steps, y=values, mode="lines+markers" if len(points) < 30 else "lines", name=name))
    if chance is not None:
        figure.add_hline(y=chance, line_dash="dash", line_color="grey", annotation_text="chance: ln(2N-1)")
    figure.update_layout(
        title=title, height=320, margin={"l": 10, "r": 10, "t": 40, "b": 10}, xaxis_title="step",
        legend={"orientation": "h", "y": -0.25},
    )
    return figure
