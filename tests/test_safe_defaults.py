"""Safe defaults: the server stays on this machine, uploads and pictures are capped, checkpoints cannot run
code, typed folders stay inside the data root, and no user text reaches the page as raw HTML or script."""
import ast
import io
import pickle
import re
import struct
import tomllib
from pathlib import Path

import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from simclr import data
from simclr.data.decode import MAX_DECODE_BYTES, MAX_PIXELS, ImageError, decode_image
from simclr.model.checkpoint import load_checkpoint, save_checkpoint
from simclr.model.networks import ModelConfig, ModelError, build_model
from ui.sidebar import folder_inside_root

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_server_listens_on_this_machine_unless_told_otherwise():
    assert CONFIG["server"]["address"] == "localhost"
    readme = (ROOT / "README.md").read_text()
    assert "--server.address 0.0.0.0" in readme, "the README says how to opt in to the LAN"


def test_uploads_are_capped_by_the_server():
    assert 1 <= CONFIG["server"]["maxUploadSize"] <= 200  # MB; Streamlit's own default is 200
    assert CONFIG["browser"]["gatherUsageStats"] is False  # offline by default: nothing is sent anywhere


# --- pictures: a pixel limit in every format, checked before decoding ---------------------------------------


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def bmp_claiming(width: int, height: int) -> bytes:
    """An 8 x 8 BMP whose header claims width x height (pixel data stays 8 x 8: a bomb for a careless reader)."""
    data = bytearray(encode(Image.new("RGB", (8, 8)), "BMP"))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def gif_claiming(width: int, height: int) -> bytes:
    """An 8 x 8 GIF whose logical screen claims width x height."""
    data = bytearray(encode(Image.new("P", (8, 8)), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


@pytest.mark.parametrize("make, name", [(bmp_claiming, "huge.bmp"), (gif_claiming, "huge.gif")])
def test_pixel_limit_holds_for_other_formats_than_png(make, name):
    side = 9000  # 81 megapixels: over MAX_PIXELS, under Pillow's own bomb check (2 x 89 MP)
    assert side * side > MAX_PIXELS
    with pytest.raises(ImageError, match=rf"{name} is .*(megapixels|far too large)"):
        decode_image(make(side, side), name)


def test_pixel_limit_is_below_what_would_exhaust_a_laptop():
    assert MAX_DECODE_BYTES <= 256 * 2**20  # one picture, decoded and converted, stays under 256 MB
    assert MAX_PIXELS * 1 * 2 <= MAX_DECODE_BYTES  # the pixel limit still binds for 1-byte (grey, palette) images


# --- checkpoints: torch.load(weights_only=True), so a .pt file cannot run code ---------------------------------


class Payload:
    """Unpickling this calls Path.touch on the marker: code running at load time."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_a_checkpoint_with_a_malicious_reduce_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "code-ran"
    good = tmp_path / "good.pt"
    save_checkpoint(good, build_model(ModelConfig(), seed=0), {"step": 1})
    payload = torch.load(good, weights_only=True)
    payload["extra"]["note"] = Payload(marker)  # a real checkpoint with one poisoned value
    torch.save(payload, tmp_path / "evil.pt")
    with open(tmp_path / "legacy.pt", "wb") as file:  # a plain pickle, as torch.save wrote before 1.6
        pickle.dump({"model_config": {}, "state_dict": Payload(marker), "extra": {}}, file, protocol=2)
    for name in ("evil.pt", "legacy.pt"):
        with pytest.raises(ModelError, match="could not be read as a checkpoint"):
            load_checkpoint(tmp_path / name)
        assert not marker.exists(), f"loading {name} ran code"
    assert torch.load(tmp_path / "evil.pt", weights_only=False) and marker.exists()  # the payload does work


def calls(folder: str, attribute: str):
    """(file, call node) for every call in ROOT/folder whose function is named `attribute` (x.attribute(...))."""
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) == attribute:
                    yield path.relative_to(ROOT), node


def keyword(node: ast.Call, name: str):
    return next((k.value for k in node.keywords if k.arg == name), None)


def test_every_torch_load_in_the_app_uses_weights_only():
    found = [(path, node) for folder in ("simclr", "ui", "app_pages", "bench") for path, node in calls(folder, "load")
             if isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") == "torch"]
    assert found, "the search found no torch.load at all"
    for path, node in found:
        flag = keyword(node, "weights_only")
        assert isinstance(flag, ast.Constant) and flag.value is True, f"{path}:{node.lineno} torch.load without weights_only=True"


# --- folders typed into the app --------------------------------------------------------------------------------


def test_typed_folders_resolve_inside_the_data_root(tmp_path, monkeypatch):
    root = tmp_path / "data"
    (root / "mine" / "cats").mkdir(parents=True)
    (root / "escape").symlink_to(tmp_path)  # a link inside the root that points out of it
    monkeypatch.setenv("SIMCLR_DATA", str(root))
    assert folder_inside_root("mine") == root / "mine"
    assert folder_inside_root(" mine/cats ") == root / "mine" / "cats"
    assert folder_inside_root("mine/../mine") == root / "mine"
    for typed in ("../../etc", "/etc", "..", "escape", "escape/data/..", "mine/../../"):
        with pytest.raises(data.DataError, match="must be inside the data root"):
            folder_inside_root(typed)


# --- raw HTML and script on the page ---------------------------------------------------------------------------

# Every markdown call with unsafe_allow_html=True, and the names its markup may use: each one reviewed to hold
# no text a user typed, uploaded or named. A new use fails here until it is reviewed and listed.
REVIEWED_HTML = {
    ("app_pages/augmentations.py", "markdown"): {"red", "blue"},  # rgb() strings of ui.pictures.VIEW_COLOURS
}


PAGES = re.findall(r"app_pages/[\w/]+\.py", (ROOT / "ui" / "navigation.py").read_text())  # the page files app.py navigates to


def scanned_files() -> list[Path]:
    """Every Python file that can put something on a page: app.py, the pages and their widgets, ui/."""
    files = [ROOT / "app.py", *sorted((ROOT / "app_pages").rglob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
    names = {str(path.relative_to(ROOT)) for path in files}
    assert len(PAGES) >= 5 and set(PAGES) <= names, (PAGES, names)
    assert len(files) >= 15, f"only {len(files)} files to scan: has the app moved?"
    return files


def test_raw_html_is_only_used_with_reviewed_constant_text():
    seen = set()
    for path in scanned_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            flag = keyword(node, "unsafe_allow_html")
            if flag is None or isinstance(flag, ast.Constant) and flag.value is False:
                continue
            where = (str(path.relative_to(ROOT)), getattr(node.func, "attr", getattr(node.func, "id", "")))
            assert where in REVIEWED_HTML, f"{where[0]}:{node.lineno} unsafe_allow_html is not reviewed"
            names = {n.id for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Name)}
            assert names <= REVIEWED_HTML[where], f"{where[0]}:{node.lineno} puts {names} into raw HTML"
            seen.add(where)
    assert seen == set(REVIEWED_HTML), "a reviewed use is gone: drop it from REVIEWED_HTML"


def test_st_html_calls_are_the_reviewed_ones():
    """st.html runs its script when unsafe_allow_javascript is set; plain st.html only styles the page."""
    files = scanned_files()
    found = {(str(path.relative_to(ROOT)), keyword(node, "unsafe_allow_javascript") is not None)
             for path in files for node in ast.walk(ast.parse(path.read_text(), str(path)))
             if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "html"}
    scripted = {path for path, script in found if script}
    assert scripted == {"ui/hover_preview.py", "ui/chart_preload.py"}, scripted


def test_hover_preview_script_holds_no_markup_from_captions():
    def app():
        from ui.hover_preview import hover_preview

        hover_preview("t", "data:image/png;base64,AAAA", 2,
                      ["</script><img src=x onerror=alert(1)>", "<!--<script>", "a&b"])

    at = AppTest.from_function(app).run()
    assert not at.exception
    [element] = at.get("html")
    body = element.proto.body
    inner = body[len("<script>"): -len("</script>")]
    assert body.startswith("<script>") and body.endswith("</script>")
    assert "<" not in inner, "a '<' inside the script can end it early (</script>) or swallow the page (<!--)"
