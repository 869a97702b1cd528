"""Horizontal bar charts drawn as inline SVG on the server (no chart library, no script).

Each bar carries its label and its value as text, and a fill pattern as well as a colour,
so a chart reads the same in greyscale, printed, or to someone who cannot tell the
colours apart. `templates/dashboard/_bar_chart.html` draws what `bar_chart` lays out.
"""

from dataclasses import dataclass

# (pattern id, colour): defined once per page in templates/dashboard/_chart_patterns.html.
PATTERNS = ["solid", "hatch", "dots", "cross", "hlines", "vlines", "outline"]

LABEL_WIDTH = 230
BAR_AREA = 330
VALUE_WIDTH = 130
ROW_HEIGHT = 28
BAR_HEIGHT = 18
TOP = 6


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    y: int
    width: float
    pattern: str
    href: str = ""

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 5

    @property
    def value_x(self) -> float:
        return LABEL_WIDTH + self.width + 6


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    bars: list[Bar]
    label_width: int = LABEL_WIDTH
    bar_x: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def width(self) -> int:
        return LABEL_WIDTH + BAR_AREA + VALUE_WIDTH

    @property
    def height(self) -> int:
        return TOP * 2 + ROW_HEIGHT * max(len(self.bars), 1)

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 8

    @property
    def axis_y2(self) -> int:
        return self.height - TOP


def _shorten(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(chart_id: str, title: str, rows: list[tuple], *, patterns: list[str] | None = None) -> Chart:
    """Lay out rows of (label, value, value_text[, href]) as bars scaled to the largest value."""
    largest = max((float(r[1] or 0) for r in rows), default=0) or 1.0
    bars = []
    for i, row in enumerate(rows):
        label, value, value_text = row[0], float(row[1] or 0), row[2]
        href = row[3] if len(row) > 3 else ""
        pattern = (patterns[i] if patterns and i < len(patterns) else PATTERNS[i % len(PATTERNS)])
        width = round(BAR_AREA * value / largest, 1) if value else 0
        bars.append(Bar(_shorten(str(label)), value_text, TOP + i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) // 2,
                        max(width, 2.0) if value else 0, pattern, href))
    description = "; ".join(f"{row[0]}: {row[2]}" for row in rows)
    return Chart(chart_id, title, description, bars)
