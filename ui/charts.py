"""Plotly figures the pages share: the similarity matrix, a softmax row, training curves."""

import base64
import io

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
from PIL import Image

from ui.pictures import VIEW_COLOURS


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


def run_curves(series: dict[str, list[dict]], metric: str, title: str, chance: float | None = None) -> go.Figure:
    """One line per run of `metric` against the step, steps from 0; a dashed chance line where one is given."""
    figure = go.Figure()
    for name, rows in series.items():
        points = [(row["step"], row[metric]) for row in rows if row.get(metric) is not None]
        if points:
            steps, values = zip(*points)
            figure.add_trace(go.Scatter(x=steps, y=values, mode="lines+markers" if len(points) < 30 else "lines", name=name))
    if chance is not None:
        figure.add_hline(y=chance, line_dash="dash", line_color="grey", annotation_text="chance: ln(2N-1)")
    _curve_layout(figure, title)
    return figure


def knn_chart(series: dict[str, list[tuple[int, float]]], title: str, references: dict[str, float]) -> go.Figure:
    """kNN accuracy (0 to 1) against the step (from 0), one line per run, with dotted reference levels.

    series: run name -> [(step, accuracy)] (simclr.progress.knn_points); references: label -> accuracy,
    e.g. raw pixels and the random initialisation, the levels a trained encoder has to beat.
    """
    figure = go.Figure()
    for name, points in series.items():
        if points:
            steps, values = zip(*points)
            figure.add_trace(go.Scatter(
                x=steps, y=values, name=name, mode="lines+markers" if len(points) < 30 else "lines",
                hovertemplate="step %{x}: %{y:.1%}<extra>" + name + "</extra>",
            ))
    for (label, value), colour in zip(references.items(), ("#888", "#c0392b", "#2c3e50")):
        figure.add_hline(y=value, line_dash="dot", line_color=colour, annotation_text=f"{label} {value:.1%}",
                         annotation_position="bottom right")
    _curve_layout(figure, title)
    figure.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return figure


def _curve_layout(figure: go.Figure, title: str) -> None:
    """Shared look of the training curves; steps start at 0, so one point is not a 2-step-wide axis."""
    figure.update_xaxes(rangemode="tozero")
    figure.update_layout(
        title=title, height=320, margin={"l": 10, "r": 10, "t": 50, "b": 10}, xaxis_title="step",
        legend={"orientation": "h", "y": -0.25},
    )


def padded_range(xy: np.ndarray, margin: float = 0.06) -> tuple[list[float], list[float]]:
    """x and y axis ranges around the points (N, 2), with room for the thumbnails at the edges."""
    low, high = xy.min(axis=0), xy.max(axis=0)
    pad = (high - low).max() * margin + 1e-6
    return [float(low[0] - pad), float(high[0] + pad)], [float(low[1] - pad), float(high[1] + pad)]


def palette(count: int) -> list[str]:
    """`count` distinct colours: Plotly's ten, then the 24 of Light24 and repeats for more classes."""
    base = px.colors.qualitative.Plotly if count <= 10 else px.colors.qualitative.Light24
    return [base[i % len(base)] for i in range(count)]
