"""Deterministic image rendering for the offline sample.

Byte-identical regeneration is the point of this module: every matplotlib figure is drawn under the library
defaults (not the user's matplotlibrc), rasterised with Agg and re-encoded by PIL with fixed encoder settings,
so no timestamps, software tags or EXIF blocks ever reach the bytes. Text drawn straight with PIL uses the
DejaVu Sans file that ships inside matplotlib, so both paths use the same font everywhere.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

ImageFormat = Literal["PNG", "JPEG"]
DPI = 100
JPEG_QUALITY = 85
PNG_COMPRESS_LEVEL = 6

# rc keys that describe the interactive session rather than how a figure looks; copying them is useless
# (and switching backends mid-run is what we want to avoid).
_SESSION_RC_PREFIXES = ("backend", "interactive", "webagg", "toolbar", "savefig.directory")


@lru_cache(maxsize=1)
def _pinned_rc() -> dict[str, object]:
    rc = {
        k: v
        for k, v in matplotlib.rcParamsDefault.items()
        if not k.startswith(_SESSION_RC_PREFIXES)
    }
    rc.update(
        {
            "font.family": ["DejaVu Sans"],
            "mathtext.fontset": "dejavusans",
            "text.usetex": False,
            "figure.dpi": DPI,
            "figure.autolayout": False,
            "figure.constrained_layout.use": False,
            "svg.hashsalt": "open-mm-rl-sample",
        }
    )
    return rc


@dataclass(frozen=True)
class ImageJob:
    """One image of a row, drawn lazily so planning a sample (questions, answers) costs no rendering."""

    draw: Callable[[], Image.Image]
    fmt: ImageFormat = "PNG"
    mode: str = "RGB"  # mode stored in the file: RGB, RGBA or L (JPEG: RGB or L)


def figure_image(width: int, height: int, draw: Callable[[Figure], None]) -> Image.Image:
    """Rasterise a matplotlib figure of exactly width x height pixels to an RGBA PIL image."""
    with matplotlib.rc_context(_pinned_rc()):
        fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
        canvas = FigureCanvasAgg(fig)
        draw(fig)
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba()).copy()
        fig.clear()
    return Image.fromarray(pixels, mode="RGBA")


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans from matplotlib's own data dir, with the basic layout engine (raqm may be absent)."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path(matplotlib.get_data_path(), "fonts", "ttf", name)
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def blank(
    width: int, height: int, color: tuple[int, int, int] = (255, 255, 255)
) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGB", (width, height), color)
    return img, ImageDraw.Draw(img)


def photo_background(
    rng: random.Random,
    width: int,
    height: int,
    top: tuple[int, int, int],
    bottom: tuple[int, int, int],
    noise: float = 6.0,
) -> Image.Image:
    """A vertical gradient with mild sensor-like noise, so JPEG scenes look like photos rather than flat art."""
    np_rng = np.random.default_rng(rng.getrandbits(63))
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    grad = (1 - t) * np.asarray(top, float) + t * np.asarray(bottom, float)
    grad = np.broadcast_to(grad, (height, width, 3)) + np_rng.normal(0.0, noise, (height, width, 3))
    return Image.fromarray(np.clip(grad, 0, 255).astype(np.uint8), mode="RGB")


def encode(job: ImageJob, *, where: str = "") -> bytes:
    """Draw and encode one image with fixed settings; refuse all-black output (Idefics3 treats it as padding)."""
    img = job.draw()
    target = job.mode if job.fmt == "PNG" else ("L" if job.mode == "L" else "RGB")
    if img.mode != target:
        img = img.convert(target)
    lo_hi = img.getextrema()
    brightest = max(hi for _, hi in lo_hi) if isinstance(lo_hi[0], tuple) else lo_hi[1]
    if brightest == 0:
        raise ValueError(f"sample image {where} rendered all black; fix its drawing code")
    buf = io.BytesIO()
    if job.fmt == "JPEG":
        img.save(
            buf,
            format="JPEG",
            quality=JPEG_QUALITY,
            optimize=False,
            progressive=False,
            subsampling=2,
        )
    else:
        img.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def pick_size(
    rng: random.Random,
    widths: tuple[int, int] = (360, 560),
    aspect: tuple[float, float] = (0.6, 0.85),
) -> tuple[int, int]:
    """A figure size in whole tens of pixels (keeps matplotlib's inch conversion exact)."""
    w = rng.randrange(widths[0], widths[1] + 1, 20)
    h = round(w * rng.uniform(*aspect) / 10.0) * 10
    return w, max(200, min(640, h))


def pick_encoding(
    rng: random.Random, p_jpeg: float = 0.15, p_rgba: float = 0.1, p_gray: float = 0.1
) -> tuple[ImageFormat, str]:
    """Chart-like images: mostly RGB PNG, some RGBA or grayscale PNG, some JPEG (screenshots saved lossy)."""
    r = rng.random()
    if r < p_jpeg:
        return "JPEG", "RGB"
    if r < p_jpeg + p_rgba:
        return "PNG", "RGBA"
    if r < p_jpeg + p_rgba + p_gray:
        return "PNG", "L"
    return "PNG", "RGB"


def figure_job(
    rng: random.Random, size: tuple[int, int], draw: Callable[[Figure], None], **encoding: float
) -> ImageJob:
    fmt, mode = pick_encoding(rng, **encoding)
    w, h = size
    return ImageJob(draw=lambda: figure_image(w, h, draw), fmt=fmt, mode=mode)


def clean_axes(ax) -> None:
    """Axes used as a drawing board: equal scale, no frame or ticks."""
    ax.set_aspect("equal")
    ax.axis("off")


def place_discs(
    rng: random.Random, n: int, width: int, height: int, radius: int
) -> list[tuple[int, int]]:
    """Non-overlapping disc centres, so every object in a counting scene is fully visible."""
    centres: list[tuple[int, int]] = []
    attempts = 0
    while len(centres) < n:
        attempts += 1
        if attempts > 20000:
            raise RuntimeError(f"cannot place {n} discs of radius {radius} in {width}x{height}")
        x = rng.randint(radius + 6, width - radius - 6)
        y = rng.randint(radius + 6, height - radius - 6)
        if all((x - cx) ** 2 + (y - cy) ** 2 > (2 * radius + 8) ** 2 for cx, cy in centres):
            centres.append((x, y))
    return centres


PALETTE = [
    "#4C72B0",
    "#DD8452",
    "#55A868",
    "#C44E52",
    "#8172B3",
    "#937860",
    "#DA8BC3",
    "#8C8C8C",
    "#CCB974",
    "#64B5CD",
]
