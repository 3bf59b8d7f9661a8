"""Plotly figures of the live map: one snapshot's map that glides to the next, and a run's replay with play and slider."""

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.charts import padded_range, palette

GLIDE_MS = 700  # how long points take to move from one map to the next


def _groups(labels: list[int] | None, count: int) -> np.ndarray:
    return np.zeros(count, dtype=np.int64) if labels is None else np.asarray(labels, dtype=np.int64)


def map_traces(xy: np.ndarray, groups: np.ndarray, names: list[str], hover: str = "") -> list[go.Scatter]:
    """One scatter per group, always all of them in the same order (an empty one keeps its place), each point
    carrying its image's row id as `ids` and customdata: plotly then moves a point instead of redrawing it."""
    colours = palette(len(names))
    traces = []
    for g, name in enumerate(names):
        rows = np.flatnonzero(groups == g)
        traces.append(go.Scatter(
            x=xy[rows, 0], y=xy[rows, 1], ids=[str(r) for r in rows], customdata=rows.tolist(), mode="markers",
            name=name, marker={"size": 5, "color": colours[g], "opacity": 0.8, "line": {"width": 0}},
            hovertemplate=f"#%{{customdata}} · {name}<extra></extra>",
        ))
    return traces


def _names(classes: list[str], groups: np.ndarray) -> list[str]:
    return list(classes) if classes else [f"class {g}" for g in range(int(groups.max()) + 1)] if len(groups) else []


def live_map_figure(xy: np.ndarray, labels: list[int] | None, classes: list[str], title: str,
                    hover_sprite: str) -> go.Figure:
    """The live map: xy (N, 2) coloured by label; a redraw with the next map animates the points there."""
    groups = _groups(labels, len(xy))
    names = _names(classes, groups) if labels is not None else ["images"]
    figure = go.Figure(map_traces(xy, groups, names))
    x_range, y_range = padded_range(xy)
    figure.update_xaxes(range=x_range, showticklabels=False, showgrid=False, zeroline=False)
    figure.update_yaxes(range=y_range, showticklabels=False, showgrid=False, zeroline=False)
    figure.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"}, height=360, margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.02, "itemsizing": "constant"}, showlegend=labels is not None,
        transition={"duration": GLIDE_MS, "easing": "cubic-in-out"}, uirevision="live-map",
        meta={"hover_sprite": hover_sprite, "live_map": True},
    )
    return figure


def replay_figure(maps: dict[int, np.ndarray], labels: list[int] | None, classes: list[str],
                  loss: list[tuple[int, float]], knn: list[tuple[int, float]], hover_sprite: str,
                  map_images: str, knn_split: str) -> go.Figure:
    """A run's maps as an animation: the map (left), the loss and kNN curves (right) with a marker at the
    current step; a play button and a step slider under it, all played in the browser without a rerun.

    maps: step -> (N, 2); loss, knn: (step, value) points of the curves. Each figure names its images: the map's
    (map_images, e.g. "1,000 test images") and the kNN's split (knn_split, e.g. "validation").
    """
    steps = list(maps)
    count = len(next(iter(maps.values())))
    groups = _groups(labels, count)
    names = _names(classes, groups) if labels is not None else ["images"]
    figure = make_subplots(rows=2, cols=2, column_widths=[0.6, 0.4], specs=[[{"rowspan": 2}, {}], [None, {}]],
                           subplot_titles=(f"map: {map_images}", "NT-Xent loss", f"kNN accuracy of h ({knn_split})"),
                           horizontal_spacing=0.06)
    for trace in map_traces(maps[steps[0]], groups, names):
        figure.add_trace(trace, row=1, col=1)
    curves = ((loss, 1, "loss"), (knn, 2, f"kNN ({knn_split})"))
    for points, row, name in curves:
        x, y = zip(*points) if points else ((), ())
        figure.add_trace(go.Scatter(x=x, y=y, mode="lines+markers" if len(points) < 30 else "lines",
                                    line={"color": "#555"}, showlegend=False, name=name), row=row, col=2)
    markers = len(figure.data)  # then one marker per curve, the traces the frames move along the curves

    def marker_traces(step: int) -> list[go.Scatter]:
        found = []
        for points, _, name in curves:
            near = min(points, key=lambda p: abs(p[0] - step)) if points else (step, None)
            done = [p for p in points if p[0] <= step]
            value = done[-1][1] if done else near[1]
            found.append(go.Scatter(x=[step], y=[value], mode="markers", showlegend=False, name=f"{name} now",
                                    marker={"size": 11, "color": "#d62728", "symbol": "diamond"},
                                    hovertemplate=f"step %{{x}}: {name} %{{y:.3f}}<extra></extra>"))
        return found

    for trace, (_, row, _) in zip(marker_traces(steps[0]), curves):
        figure.add_trace(trace, row=row, col=2)
    moving = list(range(len(names))) + [markers, markers + 1]
    figure.frames = [
        go.Frame(name=str(step), traces=moving,
                 data=map_traces(maps[step], groups, names) + marker_traces(step))
        for step in steps
    ]
    everything = np.concatenate(list(maps.values()))
    x_range, y_range = padded_range(everything)
    figure.update_xaxes(range=x_range, showticklabels=False, showgrid=False, zeroline=False, row=1, col=1)
    figure.update_yaxes(range=y_range, showticklabels=False, showgrid=False, zeroline=False, row=1, col=1)
    figure.update_xaxes(rangemode="tozero", row=1, col=2)
    figure.update_xaxes(rangemode="tozero", title="step", row=2, col=2)
    figure.update_yaxes(range=[0, 1.02], tickformat=".0%", row=2, col=2)
    play = {"frame": {"duration": 600, "redraw": False}, "fromcurrent": True,
            "transition": {"duration": 450, "easing": "cubic-in-out"}}
    figure.update_layout(
        height=560, margin={"l": 10, "r": 10, "t": 40, "b": 10}, meta={"hover_sprite": hover_sprite, "replay": True},
        legend={"orientation": "h", "y": -0.2, "x": 0, "itemsizing": "constant"}, showlegend=labels is not None,
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0, "y": -0.08, "xanchor": "left", "showactive": False,
                      "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                                  {"label": "❚❚ Pause", "method": "animate",
                                   "args": [[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False}}]}]}],
        sliders=[{"active": 0, "x": 0.16, "len": 0.84, "y": -0.02, "yanchor": "top", "pad": {"t": 10},
                  "currentvalue": {"prefix": "step "},
                  "steps": [{"label": str(step), "method": "animate",
                             "args": [[str(step)], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                                    "transition": {"duration": 300}}]}
                            for step in steps]}],
    )
    return figure
