"""The one-page lead sheet (疑点核查单): content, self-contained HTML and PDF."""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gisaudit.geodesy import M2_PER_MU
from gisaudit.layers.classes import LandClassTable, default_class_table
from gisaudit.leads.evidence import Chip
from gisaudit.leads.knowledge import KnowledgeBase
from gisaudit.leads.rules import SEVERITY_NAMES

NO_IMAGERY = "数据包未提供影像，无法生成前后时相对比影像。"


@dataclass(frozen=True)
class SheetContent:
    """Everything a lead sheet shows, as display text."""

    lead_id: str
    title: str
    facts: list[tuple[str, str]]
    from_rows: list[tuple[str, str]]
    to_rows: list[tuple[str, str]]
    legal: list[str]
    steps: list[str]
    chips: list[tuple[str, Path]] = field(default_factory=list)
    note: str = ""

    def all_text(self) -> str:
        """All the characters of the sheet (for font subsetting)."""
        parts = [self.lead_id, self.title, self.note, *self.legal, *self.steps]
        parts += [a + b for a, b in (*self.facts, *self.from_rows, *self.to_rows)]
        parts += [label for label, _ in self.chips]
        return "".join(parts) + FIELD_TEXT


FIELD_HEADING = "现场核查（由核查组填写）"
FIELD_CONCLUSION = (
    "核查结论：□ 属实　□ 不属实　□ 部分属实　说明：________________________________________"
)
FIELD_SIGN = (
    "核查人：____________________　　日期：______年____月____日　　备注：______________________"
)
MORE_LINES = "……（详见 HTML 核查单或审计知识库）"
FIELD_TEXT = "".join(
    [
        FIELD_HEADING,
        FIELD_CONCLUSION,
        FIELD_SIGN,
        MORE_LINES,
        "原地类现地类法律依据审计核查步骤……等类无影像。—→",
    ]
)


def dms(value: float, pos: str, neg: str) -> str:
    """Degrees as 度分秒 text, e.g. 117°07′24.44″E."""
    hemi = pos if value >= 0 else neg
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return f"{d}°{m:02d}′{s:05.2f}″{hemi}"


def _code_rows(
    codes: dict[str, float], is_area: bool, table: LandClassTable
) -> list[tuple[str, str]]:
    rows = []
    for code, size in sorted(codes.items(), key=lambda kv: -kv[1]):
        if is_area:
            try:
                label = f"{code} {table.name(code)}"
            except KeyError:
                label = code
            rows.append((label, f"{size:,.2f} m²（{size / M2_PER_MU:,.2f} 亩）"))
        else:
            rows.append((code, f"{size:,.1f} m"))
    return rows


def sheet_content(
    lead: dict[str, Any],
    *,
    knowledge: KnowledgeBase,
    knowledge_key: str | None = None,
    district_name: str = "",
    chips: Sequence[Chip] = (),
    start: str = "",
    end: str = "",
    has_imagery: bool = True,
    table: LandClassTable | None = None,
) -> SheetContent:
    """Build the display content of one lead's sheet from its row (a dict of lead columns)."""
    table = table or default_class_table()
    key = knowledge_key or lead["rule"]
    entry = knowledge.entry(key)
    is_area = lead.get("area_m2") is not None and lead.get("area_m2") == lead.get("area_m2")
    district = (
        f"{district_name}（{lead['district_code']}）"
        if district_name
        else str(lead["district_code"])
    )
    lon, lat = float(lead["lon"]), float(lead["lat"])
    if is_area:
        size = f"{lead['area_m2']:,.2f} m²，{lead['area_mu']:,.2f} 亩，{lead['area_ha']:,.4f} 公顷"
    else:
        size = f"{lead['length_m']:,.1f} m"
    facts = [
        ("疑点编号", lead["id"]),
        ("疑点类型", lead["name"]),
        ("严重程度", SEVERITY_NAMES.get(lead["severity"], lead["severity"])),
        ("行政区", district),
        ("坐落", f"{district_name or lead['district_code']}（以中心点坐标定位，实地核查时补记）"),
        ("中心点坐标", f"东经 {lon:.6f}°，北纬 {lat:.6f}°"
                       f"（{dms(lon, 'E', 'W')}，{dms(lat, 'N', 'S')}，CGCS2000）"),
        ("面积" if is_area else "长度", size),
        ("变化年度", str(lead["change_vintage"])),
        ("比较时相", f"{start} → {end}" if start or end else "—"),
        ("任期", str(lead["tenure_id"])),
        ("状态", str(lead.get("state") or "待核实")),
    ]  # fmt: skip
    names = {"before": "前时相影像（{}）", "after": "后时相影像（{}）"}
    chip_rows = [(names[c.role].format(c.vintage.isoformat()), c.path) for c in chips]
    return SheetContent(
        lead_id=str(lead["id"]),
        title=f"疑点核查单：{lead['name']}",
        facts=facts,
        from_rows=_code_rows(dict(lead["from_codes"]), is_area, table),
        to_rows=_code_rows(dict(lead["to_codes"]), is_area, table),
        legal=[b.render() for b in entry.legal_basis] or [str(lead.get("legal_basis") or "—")],
        steps=list(entry.audit_steps),
        chips=chip_rows,
        note="" if has_imagery else NO_IMAGERY,
    )


_HTML = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ c.title }} {{ c.lead_id }}</title>
<style>
@page { size: A4 portrait; margin: 12mm; }
body { font-family: "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei", sans-serif;
       font-size: 10pt; color: #111; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 15pt; margin: 0 0 4pt; border-bottom: 2px solid #a50f15; padding-bottom: 3pt; }
h2 { font-size: 11pt; margin: 8pt 0 3pt; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #999; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #f2f2f2; width: 22%; font-weight: normal; }
.chips { display: flex; gap: 4mm; }
.chips figure { margin: 0; flex: 1; text-align: center; }
.chips img { width: 100%; border: 1px solid #666; }
ol { margin: 0; padding-left: 18pt; } li { margin: 1pt 0; }
.legal p { margin: 1pt 0; }
.blank td { height: 16mm; }
.note { color: #a50f15; }
@media print { body { font-size: 9pt; } .sheet { page-break-inside: avoid; } }
</style></head><body><div class="sheet">
<h1>{{ c.title }}</h1>
<table>{% for k, v in c.facts %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
<h2>地类变化</h2>
<table><tr><th>原地类</th><td>
{% for k, v in c.from_rows %}{{ k }}：{{ v }}<br>{% endfor %}</td></tr>
<tr><th>现地类</th><td>
{% for k, v in c.to_rows %}{{ k }}：{{ v }}<br>{% else %}—{% endfor %}</td></tr></table>
<h2>前后时相影像</h2>
{% if images %}<div class="chips">{% for label, data in images %}
<figure><img alt="{{ label }}" src="data:image/png;base64,{{ data }}">
<figcaption>{{ label }}</figcaption></figure>
{% endfor %}</div>{% else %}<p class="note">{{ c.note or "无影像。" }}</p>{% endif %}
<h2>法律依据</h2><div class="legal">{% for p in c.legal %}<p>{{ p }}</p>{% endfor %}</div>
<h2>审计核查步骤</h2><ol>{% for s in c.steps %}<li>{{ s }}</li>{% endfor %}</ol>
<h2>现场核查（由核查组填写）</h2>
<table class="blank"><tr><th>核查结论</th><td>□ 属实　□ 不属实　□ 部分属实</td></tr>
<tr><th>备注</th><td></td></tr></table>
<table><tr><th>核查人</th><td style="width:28%"></td>
<th>日期</th><td>　　年　　月　　日</td></tr></table>
</div></body></html>
"""


def render_html(content: SheetContent) -> str:
    """The self-contained HTML sheet (chips embedded as base64 PNG, print CSS for A4)."""
    images = [
        (label, base64.b64encode(path.read_bytes()).decode("ascii"))
        for label, path in content.chips
    ]
    return _template().render(c=content, images=images)


@functools.cache
def _template() -> Any:
    import jinja2  # here: evaluations that write no sheets need not load it

    return jinja2.Environment(autoescape=True).from_string(_HTML)


def _wrap(text: str, units: int) -> list[str]:
    """Wrap text by display width (CJK = 2 units, other = 1)."""
    lines, line, width = [], "", 0
    for ch in text:
        w = 2 if ord(ch) > 0x2E7F else 1
        if width + w > units:
            lines.append(line)
            line, width = "", 0
        line += ch
        width += w
    if line:
        lines.append(line)
    return lines


def render_pdf(content: SheetContent, path: Path, font: Any) -> None:
    """Write the one-page A4 sheet with matplotlib (PDF; PNG by suffix for previews).

    ``font`` is a FontProperties of the shipped font (see ``gisaudit.leads.fonts``).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from PIL import Image

    with matplotlib.rc_context({"pdf.fonttype": 42, "axes.unicode_minus": False}):
        fig = plt.figure(figsize=(8.27, 11.69))
        step = 9 * 1.5 / (11.69 * 72)
        y = 0.955

        def text(x: float, s: str, size: float = 9, **kw: Any) -> None:
            fig.text(x, y, s, fontproperties=font, fontsize=size, va="top", **kw)

        text(0.06, content.title, 15, color="#a50f15")
        y -= 0.035
        for k, v in content.facts:
            text(0.06, k, color="#555")
            for line in _wrap(v, 100):
                text(0.19, line)
                y -= step
        y -= step / 2
        for label, rows in (("原地类", content.from_rows), ("现地类", content.to_rows)):
            text(0.06, label, color="#555")
            for k, v in rows[:4] or [("—", "")]:
                text(0.19, f"{k}：{v}" if v else k)
                y -= step
            if len(rows) > 4:
                text(0.19, f"……等 {len(rows)} 类")
                y -= step
        y -= step / 2
        if content.chips:
            h = 0.2
            for i, (label, png) in enumerate(content.chips[:2]):
                ax = fig.add_axes((0.06 + i * 0.45, y - h, 0.42, h))
                ax.imshow(Image.open(png))
                ax.set_axis_off()
                fig.text(0.27 + i * 0.45, y - h - 0.004, label, fontproperties=font, fontsize=8,
                         ha="center", va="top")  # fmt: skip
            y -= h + 0.025
        else:
            text(0.06, content.note or "无影像。", color="#a50f15")
            y -= step * 1.5
        numbered = [f"{i}. {s}" for i, s in enumerate(content.steps, 1)]
        sections = (("法律依据", content.legal, 8), ("审计核查步骤", numbered, 9))
        for heading, items, limit in sections:
            text(0.06, heading, 10.5, weight="bold")
            y -= step * 1.2
            lines = [ln for item in items for ln in _wrap(item, 118)]
            if len(lines) > limit:
                lines = [*lines[: limit - 1], MORE_LINES]
            for line in lines:
                text(0.06, line, 8)
                y -= step * 0.92
            y -= step / 2
        y = min(y, 0.12)
        text(0.06, FIELD_HEADING, 10.5, weight="bold")
        y -= step * 1.6
        text(0.06, FIELD_CONCLUSION)
        y -= step * 1.8
        text(0.06, FIELD_SIGN)
        fig.savefig(path, format=Path(path).suffix.lstrip(".") or "pdf", dpi=100)
        plt.close(fig)
