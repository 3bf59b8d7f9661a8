"""The Training page's figures: a metric's curve per run, and the kNN accuracy with its references."""

import plotly.graph_objects as go


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

    series: run name -> [(step, accuracy)] (simclr.runs.progress.knn_points); references: label -> accuracy,
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
