"""The Similarity and loss page's figures: the similarity matrix, one anchor's softmax row, loss against tau."""

import numpy as np
import plotly.graph_objects as go

from ui.charts import data_uri
from ui.pictures import VIEW_COLOURS


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
    images = []
    for k, thumb in enumerate(thumbnails):
        common = {"source": data_uri(thumb), "sizex": 1.0, "sizey": 1.0, "xanchor": "center", "yanchor": "middle",
                  "layer": "above", "xref": "x", "yref": "y"}
        images += [{"x": k, "y": -1.2, **common}, {"x": -1.2, "y": k, **common}]
    figure.update_layout(images=images)  # one update: add_layout_image validates the whole layout each call (0.5 s)
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
