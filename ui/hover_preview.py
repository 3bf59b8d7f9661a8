"""Show a point's image next to the mouse while it hovers over a scatter plot.

Plotly's hover label holds only text. This puts a small script on the page (st.html, not iframed) that
listens to plotly.js's public `plotly_hover` event on every chart whose `layout.meta.hover_sprite`
names a registered sprite, and shows the hovered point's cell of that sprite (row id in customdata)
in a floating box. The sprite travels once, as one data URI (sprite_data_uri), for every chart that uses it.
"""

import json

import streamlit as st
import torch

from simclr.maps.projector import sprite
from ui.charts import data_uri

SCRIPT = """
(() => {
  const registry = window.simclrHoverSprites = window.simclrHoverSprites || {};
  registry[TOKEN] = DATA;
  if (window.simclrHoverInstalled) return;
  window.simclrHoverInstalled = true;

  const box = document.createElement("div");
  box.setAttribute("data-testid", "simclr-hover-preview");
  box.style.cssText = "position:fixed;z-index:100000;pointer-events:none;display:none;padding:4px;" +
    "background:white;border:1px solid #999;border-radius:4px;box-shadow:0 2px 8px rgba(0,0,0,.25);" +
    "font:12px sans-serif;color:#222;text-align:center";
  const picture = document.createElement("div");
  picture.style.cssText = "image-rendering:pixelated;background-repeat:no-repeat";
  const caption = document.createElement("div");
  box.append(picture, caption);
  document.body.appendChild(box);

  function show(chart, event) {
    const meta = chart.layout && chart.layout.meta;
    const sprite = meta && registry[meta.hover_sprite];
    const point = event.points && event.points[0];
    if (!sprite || !point || typeof point.customdata !== "number") return;
    const row = point.customdata;
    const shown = sprite.display;
    picture.style.width = picture.style.height = shown + "px";
    picture.style.backgroundImage = "url(" + sprite.uri + ")";
    picture.style.backgroundSize = (sprite.cols * shown) + "px auto";
    picture.style.backgroundPosition =
      (-(row % sprite.cols) * shown) + "px " + (-Math.floor(row / sprite.cols) * shown) + "px";
    caption.textContent = sprite.captions[row] || "";
    const mouse = event.event || {};
    const x = (mouse.clientX || 0) + 18, y = (mouse.clientY || 0) + 18;
    box.style.left = Math.min(x, window.innerWidth - shown - 30) + "px";
    box.style.top = Math.min(y, window.innerHeight - shown - 50) + "px";
    box.style.display = "block";
  }

  const hide = () => { box.style.display = "none"; };
  // the box is fixed to the window: hide it when the page scrolls under a still mouse
  document.addEventListener("scroll", hide, true);

  function attach() {
    document.querySelectorAll(".js-plotly-plot").forEach((chart) => {
      if (chart.simclrHover || typeof chart.on !== "function") return;
      chart.simclrHover = true;
      chart.on("plotly_hover", (event) => show(chart, event));
      chart.on("plotly_unhover", hide);
      chart.addEventListener("mouseleave", hide);
    });
  }
  attach();
  new MutationObserver(attach).observe(document.body, {childList: true, subtree: true});
})();
"""


def _js(value: object) -> str:
    return json.dumps(value).replace("<", "\\u003c")


def hover_preview(token: str, sprite_uri: str, cols: int, captions: list[str], display: int = 96) -> None:
    """Register a sprite (cols cells per row, cell i = row id i) under `token` for charts with
    layout.meta = {"hover_sprite": token}; hovered points show their cell at `display` px with captions[i]."""
    data = {"uri": sprite_uri, "cols": cols, "captions": captions, "display": display}
    # Captions are file names a user chose: no "<" of theirs may reach the HTML parser ("</script>",
    # "<!--"). JSON has "<" only inside strings, where \\u003c means the same character.
    script = SCRIPT.replace("TOKEN", _js(token)).replace("DATA", _js(data))
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def sprite_data_uri(images: torch.Tensor, cell: int) -> str:
    """uint8 images (N, C, H, W) as one sprite (simclr.maps.projector.sprite: cell i = image i, ceil(sqrt(N)) cells a
    row, each at most `cell` px), a PNG (grey) or JPEG (colour: photos compress ten times better) data URI."""
    picture = sprite(images, side=min(images.shape[-1], cell))
    return data_uri(picture, "PNG" if picture.shape[2] == 1 else "JPEG")
