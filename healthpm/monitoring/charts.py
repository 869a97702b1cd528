"""A metric over time as a small inline SVG line chart, drawn on the server (no script).

The threshold is a dashed line labelled in words ("pause above 30"); each sample is a marker
whose *shape* says whether it breached (a square within, a triangle past the threshold), and
the chart's description and the table under it give every value, so nothing relies on colour.
`templates/monitoring/_line_chart.html` draws what `line_chart` lays out.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from healthpm.lib.monitoring import PauseThreshold, breaches, plain

WIDTH, HEIGHT = 560, 190
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 14, 34


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    text: str
    breached: bool

    @property
    def square_x(self) -> float:
        return self.x - 3

    @property
    def square_y(self) -> float:
        return self.y - 3

    @property
    def triangle(self) -> str:
        return f"{self.x:.1f},{self.y - 6:.1f} {self.x - 6:.1f},{self.y + 5:.1f} {self.x + 6:.1f},{self.y + 5:.1f}"


@dataclass(frozen=True)
class Tick:
    pos: float
    text: str


@dataclass(frozen=True)
class LineChart:
    id: str
    title: str
    description: str
    points: list[Point]
    threshold_y: float | None
    threshold_text: str
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_x: int = WIDTH - RIGHT
    bottom_y: int = HEIGHT - BOTTOM

    @property
    def label_x(self) -> int:
        return self.left - 6

    @property
    def date_y(self) -> int:
        return self.height - 12

    @property
    def threshold_label_y(self) -> float | None:
        return None if self.threshold_y is None else max(self.threshold_y - 4, 10)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _fmt(value: Decimal) -> str:
    return plain(value) if len(plain(value)) <= 10 else f"{float(value):.4g}"


def _nice_step(span: Decimal) -> Decimal:
    """A round tick step (1, 2 or 5 × a power of ten) giving about four intervals over `span`."""
    raw = span / 4
    power = Decimal(10) ** raw.adjusted()
    for factor in (1, 2, 5, 10):
        if power * factor >= raw:
            return power * factor
    return power * 10


def line_chart(chart_id: str, title: str, samples: list[tuple[date, Decimal]], threshold: PauseThreshold | None,
               unit: str = "") -> LineChart:
    """`samples`: (period end, value) in time order."""
    values = [v for _, v in samples]
    bounds = values + ([threshold.value] if threshold else [])
    low, high = (min(bounds), max(bounds)) if bounds else (Decimal(0), Decimal(1))
    if low > 0 and low <= high / 2:
        low = Decimal(0)  # counts and rates read best from zero
    span = (high - low) or (abs(high) or Decimal(1))
    step = _nice_step(span * Decimal("1.1"))
    # Round the axis out to whole steps, so the ticks read 0, 20, 40 … rather than 14.4875.
    low, high = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step, \
        (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    if high == low or high <= max(bounds, default=high):
        high += step
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT

    def y_of(value: Decimal) -> float:
        return TOP + plot_h * float((high - value) / (high - low))

    days = [d for d, _ in samples]
    first, last = (min(days), max(days)) if days else (None, None)
    spread = max((last - first).days, 1) if days else 1

    def x_of(day: date) -> float:
        return LEFT + (plot_w * (day - first).days / spread if len(days) > 1 else plot_w / 2)

    unit_text = f" {unit}" if unit else ""
    points = [Point(x_of(d), y_of(v), f"{d.isoformat()}: {_fmt(v)}{unit_text}",
                    bool(threshold and breaches(threshold, v))) for d, v in samples]
    ticks, tick = [], low
    while tick <= high:
        ticks.append(tick)
        tick += step
    y_ticks = [Tick(y_of(v), _fmt(v)) for v in ticks]
    x_ticks = [Tick(x_of(d), d.isoformat()) for d in dict.fromkeys(x for x in (first, last) if x)]
    threshold_text = f"pause {threshold.direction} {_fmt(threshold.value)}{unit_text}" if threshold else ""
    past = sum(p.breached for p in points)
    description = (f"{len(points)} samples" + (f" from {first.isoformat()} to {last.isoformat()}" if days else "")
                   + (f"; {threshold_text}; {past} past the threshold" if threshold else "; no pause threshold")
                   + ". " + "; ".join(p.text + (" (past the threshold)" if p.breached else "") for p in points[-12:]))
    return LineChart(chart_id, title, description, points, y_of(threshold.value) if threshold else None,
                     threshold_text, y_ticks, x_ticks)
