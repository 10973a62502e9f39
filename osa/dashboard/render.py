"""Chart declarations plus their data -> one self-contained HTML page, and PNG/SVG images.

The page inlines its data as JSON and the vendored Vega JavaScript (static/), so it needs no network and works
from a file:// URL; the served page refers to the same scripts under /static/ instead, so a refresh does not
resend 0.8 MB. Images come from vl-convert, which bundles the same Vega and Vega-Lite versions as static/.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from osa.dashboard.chart import IMAGE_WIDTH, Chart, check_unique, column_error, vega_lite_spec
from osa.dashboard.records import Frame, frame_columns, json_safe_rows

STATIC = Path(__file__).with_name("static")
SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")  # in load order: embed needs vega and vega-lite
VEGA_LITE_VERSION = "6.4"  # the vl-convert bundle matching static/vega-lite.min.js (see static/versions.json)
PNG_SCALE = 2  # sharp on high-density screens and in documents

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2933;
       background: #f5f7fa; }
header { padding: 1rem 2rem; background: #fff; border-bottom: 1px solid #d9e2ec; }
header h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
header p { margin: 0; color: #52606d; font-size: .9rem; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1rem; padding: 1rem 2rem; }
section { background: #fff; border: 1px solid #d9e2ec; border-radius: 6px; padding: 1rem; min-width: 0; }
section h2 { margin: 0 0 .25rem; font-size: 1.1rem; }
section .question { margin: 0 0 .75rem; color: #52606d; font-size: .9rem; }
section .chart { width: 100%; }
.notice { padding: 2rem 1rem; text-align: center; color: #7b8794; border: 1px dashed #cbd2d9; border-radius: 4px; }
.notice.error { color: #9b1c1c; border-color: #f29b9b; white-space: pre-wrap; text-align: left; }
"""

# The browser itself refuses anything from elsewhere: no script, style, image, font or fetch but the page's own.
# ('unsafe-eval': Vega compiles its expressions with Function(); 'unsafe-inline': the page inlines data and code.)
CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
)

# After vega-embed resolves, count the items of every data mark (role "mark") in the scenegraph, groups
# (faceted series) walked into: a line or area has one item per row, a bar one rect per row. Tests read
# data-rendered / data-marks / data-error instead of looking at pixels; body[data-rendered] says all are done.
SCRIPT = """
(function () {
  const payload = JSON.parse(document.getElementById("dashboard-data").textContent);
  function countMarks(node) {
    let count = 0;
    for (const item of node.items || []) {
      if (item.marktype !== undefined) {
        if (item.role === "mark" && item.marktype !== "group") count += (item.items || []).length;
        else count += countMarks(item);
      } else if (item.items) {
        count += countMarks(item);
      }
    }
    return count;
  }
  function fail(section, message) {
    section.dataset.error = message;
    const notice = document.createElement("p");
    notice.className = "notice error";
    notice.textContent = "This chart failed to render: " + message;
    section.querySelector(".chart").replaceWith(notice);
  }
  const pending = payload.charts.map(function (chart) {
    const section = document.querySelector('section[data-chart="' + chart.name + '"]');
    const target = section.querySelector(".chart");
    return vegaEmbed(target, chart.spec, {actions: false, renderer: "svg", mode: "vega-lite"})
      .then(function (result) {
        section.dataset.marks = String(countMarks(result.view.scenegraph().root));
        section.dataset.rendered = "true";
      })
      .catch(function (error) { fail(section, String(error && error.message || error)); });
  });
  Promise.allSettled(pending).then(function () { document.body.dataset.rendered = "true"; });
})();
"""


def _script_json(value: Any) -> str:
    """JSON safe to put inside <script>: '<', '>' and '&' escaped so no value can close the element."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _scripts(script_base: str | None) -> str:
    if script_base is not None:
        base = html.escape(script_base.rstrip("/"), quote=True)
        return "\n".join(f'<script src="{base}/{name}"></script>' for name in SCRIPTS)
    return "\n".join(f"<script>/* {name} */\n{_vendored(name)}\n</script>" for name in SCRIPTS)


@functools.cache
def _vendored(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _section(chart: Chart, rows: list[dict] | None, error: str | None) -> str:
    heading = f'<h2>{html.escape(chart.title)}</h2>\n<p class="question">{html.escape(chart.question)}</p>\n'
    name = html.escape(chart.name, quote=True)
    if error is not None:
        message = html.escape(error)
        return (
            f'<section data-chart="{name}" data-rows="0" data-error="{html.escape(error, quote=True)}">\n{heading}'
            f'<p class="notice error">This chart could not be drawn: {message}</p>\n</section>'
        )
    if not rows:
        return (
            f'<section data-chart="{name}" data-rows="0" data-empty="true">\n{heading}'
            '<p class="notice no-data">No data: the query returned no rows.</p>\n</section>'
        )
    return f'<section data-chart="{name}" data-rows="{len(rows)}">\n{heading}<div class="chart"></div>\n</section>'


def render_html(
    charts: Sequence[Chart],
    frames_by_chart_name: Mapping[str, Frame],
    *,
    title: str,
    generated_at: dt.datetime,
    errors: Mapping[str, str] | None = None,
    script_base: str | None = None,
) -> str:
    """One HTML page with every chart in a `<section data-chart=name>` (its title and question above it).

    Every chart needs a frame or an error. An empty frame shows a "no data" notice (`data-empty="true"`), an error
    its message (`data-error`). `script_base` (e.g. "/static") links the vendored scripts instead of inlining them.
    """
    check_unique(charts)
    errors = dict(errors or {})
    missing = [chart.name for chart in charts if chart.name not in frames_by_chart_name and chart.name not in errors]
    if missing:
        raise ValueError(f"no frame and no error for charts {missing}")
    sections, payload = [], []
    for chart in charts:
        error = errors.get(chart.name)
        if error is None:
            error = column_error(chart, frame_columns(frames_by_chart_name[chart.name]))
        rows = None if error is not None else json_safe_rows(frames_by_chart_name[chart.name])
        sections.append(_section(chart, rows, error))
        if rows:
            payload.append({"name": chart.name, "spec": vega_lite_spec(chart, rows)})
    stamp = (
        generated_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if generated_at.tzinfo
        else (generated_at.strftime("%Y-%m-%d %H:%M:%S"))
    )
    body = "\n".join(sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="osa.dashboard">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
{_scripts(script_base)}
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<p>Generated {html.escape(stamp)} &middot; {len(charts)} charts</p>
</header>
<main>
{body}
</main>
<script type="application/json" id="dashboard-data">{_script_json({"charts": payload})}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""


def render_image(chart: Chart, rows: list[dict], out_dir: Path) -> tuple[Path, Path]:
    """`<name>.png` and `<name>.svg` of one chart in `out_dir`, rendered by vl-convert without a browser."""
    import vl_convert

    spec = vega_lite_spec(chart, rows, width=IMAGE_WIDTH)
    spec["background"] = "white"
    # allowed_base_urls=[]: the spec carries its data inline, so any URL fetch would be a bug, not a feature
    svg = vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE_VERSION, allowed_base_urls=[])
    png = vl_convert.svg_to_png(svg, scale=PNG_SCALE)  # the same bytes as vegalite_to_png, without drawing twice
    out_dir.mkdir(parents=True, exist_ok=True)
    png_path, svg_path = out_dir / f"{chart.name}.png", out_dir / f"{chart.name}.svg"
    png_path.write_bytes(png)
    svg_path.write_text(svg, encoding="utf-8")
    return png_path, svg_path


def render_images(
    charts: Sequence[Chart], frames: Mapping[str, Frame], out_dir: str | Path
) -> dict[str, tuple[Path, Path]]:
    """PNG and SVG per chart with rows: {name: (png_path, svg_path)}; charts without a frame or rows are left out
    (an image of empty axes says less than the page's "no data" notice)."""
    check_unique(charts)
    images = {}
    for chart in charts:
        frame = frames.get(chart.name)
        problem = column_error(chart, frame_columns(frame)) if frame is not None else None
        if problem:
            raise ValueError(f"chart {chart.name!r}: {problem}")
        rows = json_safe_rows(frame) if frame is not None else []
        if rows:
            images[chart.name] = render_image(chart, rows, Path(out_dir))
    return images
