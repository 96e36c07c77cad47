"""Draw the integration's brand icons: a plain desk-phone glyph on a rounded tile.

Home Assistant 2026.3+ serves `custom_components/<domain>/brand/icon.png` (256x256) and
`icon@2x.png` (512x512). The glyph is drawn here from simple shapes; it is not Grandstream's
logo. Re-run after changing it:

    .venv/bin/python scripts/make_brand_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

BRAND_DIR = Path(__file__).resolve().parent.parent / (
    "custom_components/grandstream_gxp/brand"
)
SIZES = {"icon.png": 256, "icon@2x.png": 512}
SUPERSAMPLE = 4  # draw large, then shrink: smooth edges without an anti-aliasing API

TILE = (30, 96, 130, 255)  # deep teal-blue
GLYPH = (255, 255, 255, 255)
DETAIL = (30, 96, 130, 255)  # holes in the glyph show the tile colour


def _box(size: int, *coords: float) -> tuple[int, int, int, int]:
    """Scale a box given in fractions of the icon to pixels."""
    x0, y0, x1, y1 = (round(c * size) for c in coords)
    return x0, y0, x1, y1


def draw_icon(size: int) -> Image.Image:
    """Return the icon, `size` pixels square."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    # The tile.
    draw.rounded_rectangle(_box(big, 0.02, 0.02, 0.98, 0.98), round(big * 0.2), TILE)

    # The phone's body: a wide base, a little narrower at the top.
    draw.polygon(
        [
            (big * 0.2, big * 0.44),
            (big * 0.8, big * 0.44),
            (big * 0.86, big * 0.82),
            (big * 0.14, big * 0.82),
        ],
        GLYPH,
    )
    draw.rounded_rectangle(_box(big, 0.14, 0.76, 0.86, 0.86), round(big * 0.04), GLYPH)

    # The handset resting across the top: a bar with an ear and a mouth piece.
    draw.rounded_rectangle(_box(big, 0.16, 0.2, 0.84, 0.3), round(big * 0.05), GLYPH)
    draw.rounded_rectangle(_box(big, 0.14, 0.24, 0.32, 0.38), round(big * 0.04), GLYPH)
    draw.rounded_rectangle(_box(big, 0.68, 0.24, 0.86, 0.38), round(big * 0.04), GLYPH)

    # The display.
    draw.rounded_rectangle(_box(big, 0.3, 0.5, 0.7, 0.58), round(big * 0.015), DETAIL)

    # A 4x3 keypad.
    radius = big * 0.028
    for row in range(3):
        for col in range(4):
            cx = big * (0.32 + col * 0.12)
            cy = big * (0.65 + row * 0.065)
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), DETAIL)

    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write every size into the brand folder."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    for name, size in SIZES.items():
        path = BRAND_DIR / name
        draw_icon(size).save(path, optimize=True)
        print(f"wrote {path.relative_to(BRAND_DIR.parent.parent.parent)}")


if __name__ == "__main__":
    main()
