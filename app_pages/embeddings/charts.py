"""Plotly figures of the Embeddings page: a 2-D map with images under its points, and few-label transfer."""

import numpy as np
import plotly.graph_objects as go

from ui.charts import padded_range, palette

MAP_HEIGHT = 520
TRANSFER_NAMES = {
    "linear": "linear probe on frozen h",
    "fine-tune": "fine-tune the trained encoder",
    "scratch": "train from scratch",
}


def spread_sample(xy: np.ndarray, cells: int) -> np.ndarray:
    """Ids of points spread over the map: one per occupied cell of a cells x cells grid, the one nearest its centre.

    xy (N, 2) -> int64 (M,), M <= cells^2, so thumbnails drawn at these points barely overlap.
    """
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    scaled = (xy - low) / span * cells  # (N, 2) in [0, cells]
    cell = np.minimum(scaled.astype(np.int64), cells - 1)  # (N, 2)
    distance = ((scaled - cell - 0.5) ** 2).sum(axis=1)  # to the cell's centre
    flat = cell[:, 0] * cells + cell[:, 1]
    order = np.lexsort((distance, flat))  # by cell, nearest first within each
    first = np.ones(len(order), dtype=bool)
    first[1:] = flat[order][1:] != flat[order][:-1]
    return order[first]


def embedding_map(
    xy: np.ndarray,
    groups: np.ndarray,
    names: list[str],
    title: str,
    hover_sprite: str,
    thumbnails: dict[int, str] | None = None,
    cells: int = 12,
    highlight: np.ndarray | None = None,
) -> go.Figure:
    """A scatter of xy (N, 2), one trace per group (names[g], for the legend), point i carrying customdata i.

    customdata, not the point's index, identifies an image: plotly numbers points per trace. It goes as a
    plain 1-D list: plotly would send a numpy int64 array as a typed array, which comes back from a
    selection as BigInts, and it validates nested lists element by element (0.1 s per 2,000 points).
    thumbnails: row id -> image data URI, drawn under its point, 0.6 of a cell of a cells x cells grid wide.
    layout.meta names the hover sprite (ui.hover_preview) that shows a hovered point's image.
    highlight: row ids drawn large and dark while the rest fade (a selection made on the other map, or labels).
    """
    colours = palette(len(names))
    traces = []
    for g, name in enumerate(names):
        rows = np.flatnonzero(groups == g)
        if len(rows) == 0:
            continue
        traces.append(go.Scatter(
            x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=name,
            marker={"size": 6, "color": colours[g], "opacity": 0.8, "line": {"width": 0}},
            customdata=rows.tolist(), hovertemplate=f"#%{{customdata}} · {name}<extra></extra>",
            **_highlighted(rows, highlight),
        ))
    x_range, y_range = padded_range(xy)
    size = 0.6 * max(x_range[1] - x_range[0], y_range[1] - y_range[0]) / cells
    images = [  # one list, not add_layout_image per image: plotly re-validates every image on each call
        {"source": uri, "x": float(xy[row, 0]), "y": float(xy[row, 1]), "xref": "x", "yref": "y", "sizex": size,
         "sizey": size, "xanchor": "center", "yanchor": "middle", "layer": "below"}
        for row, uri in (thumbnails or {}).items()
    ]
    figure = go.Figure(traces, layout={"images": images})
    figure.update_xaxes(range=x_range, showticklabels=False, showgrid=False, zeroline=False)
    figure.update_yaxes(range=y_range, showticklabels=False, showgrid=False, zeroline=False, scaleanchor="x")
    figure.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.97}, height=MAP_HEIGHT,
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        legend={"orientation": "h", "y": -0.02, "itemsizing": "constant"}, meta={"hover_sprite": hover_sprite},
        hovermode="closest", modebar={"orientation": "v"},  # a vertical toolbar leaves the title readable
    )
    return figure


def _highlighted(rows: np.ndarray, highlight: np.ndarray | None) -> dict:
    """A trace's selectedpoints (positions within the trace) and styles that make highlighted rows stand out."""
    if highlight is None:
        return {}
    return {
        "selectedpoints": np.flatnonzero(np.isin(rows, highlight)).tolist(),
        "selected": {"marker": {"size": 10, "opacity": 1.0}},
        "unselected": {"marker": {"opacity": 0.12}},
    }


def transfer_chart(rows: list[dict]) -> go.Figure:
    """Few-label transfer: accuracy against labelled images per class (log axis), one line per method."""
    figure = go.Figure()
    for method, label in TRANSFER_NAMES.items():
        mine = [r for r in rows if r["method"] == method]
        figure.add_trace(go.Scatter(
            x=[r["labels_per_class"] for r in mine], y=[r["accuracy"] for r in mine], mode="lines+markers",
            name=label, hovertemplate="%{x} labels per class: %{y:.1%}<extra>" + label + "</extra>",
        ))
    budgets = sorted({r["labels_per_class"] for r in rows})
    figure.update_xaxes(type="log", tickvals=budgets, title="labelled images per class")
    figure.update_yaxes(range=[0, 1], tickformat=".0%", title="test accuracy")
    figure.update_layout(height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": 1.1})
    return figure
