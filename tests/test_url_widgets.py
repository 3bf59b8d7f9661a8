"""Every URL-bound widget agrees with its row of ui.links.URL_KEYS: range, step, options and starting value.

The table is what a link is checked against (ui.links.parse) and where a fresh browser starts (view_link leaves
a value out of the link when it equals the row's default). A widget that restates its range or default and
drifts from the table gives links that are refused, or dropped, for values the widget shows. The pages are
rendered by AppTest as a fresh browser opens them: the Augmentations page (home), the Similarity page with a
random and with the demo run's encoder (loss_views shows only for a trained one), and the Lecture page, whose
step links are what `step` counts.
"""

import ast
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.links import URL_KEYS, Key

APP = Path(__file__).resolve().parent.parent / "app.py"
WIDGETS = ("slider", "number_input", "toggle", "checkbox", "selectbox", "radio", "segmented_control")


def snapshot(at: AppTest, page: str) -> list[dict]:
    """What each URL-bound widget on the page shows, read while the page is live (format_func needs it)."""
    found = []
    for kind in WIDGETS:
        for widget in getattr(at, kind):
            if widget.key not in URL_KEYS:
                continue
            spec = URL_KEYS[widget.key]
            seen = {"page": page, "key": widget.key, "widget": kind, "value": widget.value,
                    "min": getattr(widget, "min", None), "max": getattr(widget, "max", None),
                    "step": getattr(widget, "step", None), "options": getattr(widget, "options", None)}
            if spec.choices is not None:  # the labels the widget would show for the table's values
                format_func = getattr(widget, "format_func", str)
                seen["choice_labels"] = [str(format_func(choice)) for choice in spec.choices]
            found.append(seen)
    return found


@pytest.fixture(scope="module")
def shown(tmp_path_factory) -> dict[str, list[dict]]:
    """key -> every URL-bound widget of that key on the pages a fresh browser opens (no runs but the demo run)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIMCLR_RUNS", str(tmp_path_factory.mktemp("no-runs")))
        at = AppTest.from_file(str(APP), default_timeout=180).run()
        assert not at.exception, at.exception
        widgets = snapshot(at, "augmentations")
        at.switch_page("app_pages/loss/page.py").run()
        assert not at.exception, at.exception
        widgets += snapshot(at, "loss, random encoder")
        at.selectbox(key="encoder_choice").set_value("demo-run").run()  # a trained encoder: the Views control
        assert not at.exception, at.exception
        widgets += [w for w in snapshot(at, "loss, demo run") if w["key"] == "loss_views"]
        at.switch_page("app_pages/lecture.py").run()
        assert not at.exception, at.exception
        steps = [link.proto.query_string for link in at.get("page_link")]
    by_key: dict[str, list[dict]] = {key: [] for key in URL_KEYS}
    for widget in widgets:
        by_key[widget["key"]].append(widget)
    by_key["step"] = [{"page": "lecture", "widget": "page_link", "query": q} for q in steps]
    return by_key


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def check_number(spec: Key, widget: dict) -> None:
    where = f"{widget['page']}: {widget['key']}"
    assert widget["widget"] in ("slider", "number_input"), f"{where} is a {widget['widget']}"
    assert close(widget["min"], spec.low), f"{where}: widget min {widget['min']}, table low {spec.low}"
    assert close(widget["max"], spec.high), f"{where}: widget max {widget['max']}, table high {spec.high}"
    step = widget["step"]
    if spec.kind == "int":  # parse accepts every whole number in the range: the widget must reach each
        assert close(step, 1), f"{where}: an int key needs step 1, the widget has {step}"
    else:  # the table's high end must be reachable from its low end in the widget's steps
        count = (spec.high - spec.low) / step
        assert close(count, round(count)), f"{where}: step {step} does not reach {spec.high} from {spec.low}"
    value = widget["value"]
    if spec.kind == "range":
        assert isinstance(value, tuple) and len(value) == 2, f"{where}: a range slider holds two ends, got {value!r}"
        assert all(close(v, d) for v, d in zip(value, spec.default)), \
            f"{where}: a fresh page shows {value}, the table's default is {spec.default}"
    else:
        assert not isinstance(value, tuple), f"{where}: one number expected, got {value!r}"
        assert close(value, spec.default), f"{where}: a fresh page shows {value}, the table's default is {spec.default}"
        if spec.kind == "int":
            assert isinstance(value, int), f"{where}: an int key's widget gives {type(value).__name__}"


def check_str(spec: Key, widget: dict) -> None:
    where = f"{widget['page']}: {widget['key']}"
    assert widget["widget"] in ("selectbox", "radio", "segmented_control"), f"{where} is a {widget['widget']}"
    options = widget["options"]
    if spec.choices is not None:
        assert options == widget["choice_labels"], \
            f"{where}: widget options {options}, table choices {list(spec.choices)}"
    if spec.default is None:  # the widget's first option, whatever the options are
        assert options and widget["value"] is not None
        first = widget["choice_labels"][0] if spec.choices is not None else options[0]
        assert str(widget["value"]) == first, f"{where}: a fresh page shows {widget['value']!r}, not the first option"
    else:
        assert widget["value"] == spec.default, \
            f"{where}: a fresh page shows {widget['value']!r}, the table's default is {spec.default!r}"


@pytest.mark.parametrize("key", [key for key in URL_KEYS if key != "step"])
def test_widget_matches_its_table_row(shown, key):
    spec, widgets = URL_KEYS[key], shown[key]
    assert widgets, f"no widget with key {key!r} on the pages; the table has a row for it"
    for widget in widgets:
        if spec.kind == "bool":
            assert widget["widget"] in ("toggle", "checkbox"), f"{key} is a {widget['widget']}"
            assert widget["value"] is spec.default, \
                f"{widget['page']}: {key} starts {widget['value']}, the table's default is {spec.default}"
        elif spec.kind == "str":
            check_str(spec, widget)
        else:
            check_number(spec, widget)


def test_lecture_links_are_the_step_rows_range(shown):
    """`step` has no widget: the Lecture page links to each step, and the row's range is exactly those steps."""
    spec = URL_KEYS["step"]
    steps = sorted(int(link["query"].removeprefix("step=")) for link in shown["step"])
    assert steps == list(range(int(spec.low), int(spec.high) + 1)), \
        f"the Lecture page links steps {steps}; the table allows {spec.low}..{spec.high}"
    assert spec.default is None  # no step: the pages outside the lecture


def test_every_widget_of_a_key_is_listed():
    """The pages' URL-bound widgets are all in the table: a widget bound to the URL without a row would keep a
    value in links that open_link then refuses."""
    root = Path(__file__).resolve().parent.parent
    unlisted = []
    for path in [*root.glob("app_pages/**/*.py"), *root.glob("ui/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            words = {kw.arg: kw.value for kw in node.keywords}
            bound = ("bind" in words) or any(kw.arg is None and isinstance(kw.value, ast.Name)
                                             and kw.value.id == "KEEP" for kw in node.keywords)
            key = words.get("key")
            if bound and isinstance(key, ast.Constant) and key.value not in URL_KEYS:
                unlisted.append(f"{path.name}: {key.value}")
    assert not unlisted, f"URL-bound widgets with no row in URL_KEYS: {unlisted}"
