// The chart of one test's values over time, drawn in the page as inline SVG by this module:
// no chart library, nothing downloaded, nothing for a reviewer to trust unread. The values
// are drawn against the reference range (a shaded band), each point marked, the axes
// labelled; the same numbers follow as a table, so that nothing is said by the picture
// alone. Colours come from app.css classes: the page's policy allows no inline style.

import { fhirWhenText } from "./records.js";
import { h, table } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";
// Drawn in units of about a CSS pixel, so that its text reads as the page's: a narrow
// screen gets a narrower drawing (fewer date labels), not a smaller one.
const WIDE = 640;
const NARROW = 380;
const HEIGHT = 300;
const MARGIN = { top: 16, right: 48, bottom: 60, left: 72 };
// A date label is about 86 units wide at the chart's text size: labels closer than this
// would overlap, so some are left out (every date is in the table).
const LABEL_GAP = 100;

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Round numbers from at or below `lo` to at or above `hi`, about five steps of 1, 2 or 5
 * times a power of ten, with the decimals the step needs. */
function scale(lo, hi) {
  const raw = (hi - lo) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const values = [];
  for (let i = first; i <= last; i++) values.push(Number((i * step).toFixed(decimals)));
  return { values, decimals };
}

/** Where a value stands against the range, in words ("" when there is no range). */
function against(value, range) {
  if (hasBound(range, "high") && value > range.high) return "Above the range";
  if (hasBound(range, "low") && value < range.low) return "Below the range";
  return hasBound(range, "low") || hasBound(range, "high") ? "Within the range" : "";
}

function hasBound(range, bound) {
  return typeof range?.[bound] === "number";
}

/** "11.5 to 15.5 g/dL", "up to 5 m[IU]/mL", "at least 70 mg/dL"; null without bounds. */
export function rangeText(range, unit) {
  if (!range) return null;
  const u = unit ? ` ${unit}` : "";
  if (hasBound(range, "low") && hasBound(range, "high")) return `${range.low} to ${range.high}${u}`;
  if (hasBound(range, "high")) return `up to ${range.high}${u}`;
  if (hasBound(range, "low")) return `at least ${range.low}${u}`;
  return null;
}

/**
 * The chart and its table for the result `r` (the API's result, with `history`: this
 * test's numeric values up to and including this one, oldest first). Null when there are
 * fewer than two values: one point is no trend.
 */
export function historyChart(r) {
  const points = (r.history ?? []).filter((p) => typeof p.value === "number")
    .map((p) => ({ ...p, t: Date.parse(p.effective) }))
    .filter((p) => !Number.isNaN(p.t));
  if (points.length < 2) return null;
  const range = r.reference_range;
  const unit = r.unit ? ` ${r.unit}` : "";
  const values = points.map((p) => p.value);

  // The value axis covers every value and both bounds of the range, with room around them.
  const shown = [...values, ...["low", "high"].filter((b) => hasBound(range, b)).map((b) => range[b])];
  let lo = Math.min(...shown);
  let hi = Math.max(...shown);
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 1;
  lo -= pad;
  hi += pad;
  if (Math.min(...shown) >= 0 && lo < 0) lo = 0; // no negative axis for values that cannot be
  const { values: ticks, decimals } = scale(lo, hi);
  const yMin = ticks[0];
  const yMax = ticks[ticks.length - 1];
  const width = window.matchMedia("(max-width: 36rem)").matches ? NARROW : WIDE;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const y = (v) => MARGIN.top + plotH * (1 - (v - yMin) / (yMax - yMin));
  const t0 = points[0].t;
  const t1 = points[points.length - 1].t;
  const x = (t) => (t1 === t0 ? MARGIN.left + plotW / 2 : MARGIN.left + plotW * ((t - t0) / (t1 - t0)));
  const bottom = MARGIN.top + plotH;
  const right = MARGIN.left + plotW;

  const parts = [];
  // The reference range: a band between its bounds, open to the axis's end without one.
  if (hasBound(range, "low") || hasBound(range, "high")) {
    const top = hasBound(range, "high") ? y(range.high) : MARGIN.top;
    const base = hasBound(range, "low") ? y(range.low) : bottom;
    parts.push(svg("rect", { class: "chart-range", x: MARGIN.left, y: top, width: plotW, height: Math.max(0, base - top) }));
    for (const b of ["low", "high"].filter((bound) => hasBound(range, bound))) {
      parts.push(svg("line", { class: "chart-bound", x1: MARGIN.left, x2: right, y1: y(range[b]), y2: y(range[b]) }));
    }
  }
  // The value axis: a grid line and a label at each round number.
  for (const v of ticks) {
    parts.push(svg("line", { class: "chart-grid", x1: MARGIN.left, x2: right, y1: y(v), y2: y(v) }));
    parts.push(svg("text", { class: "chart-tick", x: MARGIN.left - 8, y: y(v), "text-anchor": "end", "dominant-baseline": "middle" }, v.toFixed(decimals)));
  }
  parts.push(svg("line", { class: "chart-axis", x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: bottom }));
  parts.push(svg("line", { class: "chart-axis", x1: MARGIN.left, x2: right, y1: bottom, y2: bottom }));
  parts.push(svg("text", {
    class: "chart-title", x: 16, y: MARGIN.top + plotH / 2, "text-anchor": "middle",
    transform: `rotate(-90 16 ${MARGIN.top + plotH / 2})`, "dominant-baseline": "middle",
  }, r.unit ? `Value (${r.unit})` : "Value"));
  parts.push(svg("text", { class: "chart-title", x: MARGIN.left + plotW / 2, y: HEIGHT - 8, "text-anchor": "middle" }, "Date collected"));

  // The time axis: the dates of the points, leaving out those that would overlap (the
  // newest is always labelled).
  const labelled = [];
  for (let i = points.length - 1; i >= 0; i--) {
    const px = x(points[i].t);
    if (labelled.length === 0 || x(points[labelled[labelled.length - 1]].t) - px >= LABEL_GAP) labelled.push(i);
  }
  for (const i of labelled) {
    const px = x(points[i].t);
    parts.push(svg("line", { class: "chart-axis", x1: px, x2: px, y1: bottom, y2: bottom + 5 }));
    parts.push(svg("text", { class: "chart-tick", x: px, y: bottom + 20, "text-anchor": "middle" }, fhirWhenText(points[i].effective, { time: false })));
  }

  // The values: a line through them, each point marked; one outside the range is drawn
  // larger and darker as well as coloured, and the newest (this result) ringed.
  parts.push(svg("polyline", { class: "chart-line", points: points.map((p) => `${x(p.t)},${y(p.value)}`).join(" ") }));
  points.forEach((p, i) => {
    const where = against(p.value, range);
    const out = where === "Above the range" || where === "Below the range" ? " out" : "";
    const label = `${fhirWhenText(p.effective)}: ${p.value}${unit}`;
    if (i === points.length - 1) parts.push(svg("circle", { class: "chart-current", cx: x(p.t), cy: y(p.value), r: 10 }));
    parts.push(svg("circle", { class: `chart-point${out}`, cx: x(p.t), cy: y(p.value), r: out ? 6 : 5 }, svg("title", {}, label)));
  });

  const first = points[0];
  const last = points[points.length - 1];
  const ranged = rangeText(range, r.unit);
  const summary = `${r.name} over time: ${points.length} values from ${fhirWhenText(first.effective, { time: false })} (${first.value}${unit})`
    + ` to ${fhirWhenText(last.effective, { time: false })} (${last.value}${unit}), lowest ${Math.min(...values)}${unit},`
    + ` highest ${Math.max(...values)}${unit}.${ranged ? ` Reference range ${ranged}.` : ""} The same values are in the table below the chart.`;
  const chart = svg("svg", {
    class: "chart", viewBox: `0 0 ${width} ${HEIGHT}`, role: "img", "aria-label": summary, focusable: "false",
  }, parts);

  const legend = h("ul", { class: "chart-legend" },
    ranged ? h("li", {}, h("span", { class: "swatch swatch-range", "aria-hidden": "true" }), `Reference range: ${ranged}`) : null,
    h("li", {}, h("span", { class: "swatch swatch-point", "aria-hidden": "true" }), "A value"),
    ranged ? h("li", {}, h("span", { class: "swatch swatch-out", "aria-hidden": "true" }), "A value outside the range (larger, red)") : null,
    h("li", {}, h("span", { class: "swatch swatch-current", "aria-hidden": "true" }), "This result (ringed)"));

  const t = table(`${r.name}: every value, oldest first`, ["Collected", "Value", "Against the range"]);
  t.body.append(...points.map((p, i) => h("tr", {},
    h("td", {}, fhirWhenText(p.effective), i === points.length - 1 ? h("span", { class: "hint" }, " (this result)") : null),
    h("td", {}, `${p.value}${unit}`),
    h("td", {}, against(p.value, range)))));
  return h("div", { class: "chart-box" }, h("figure", { class: "chart-figure" }, chart, legend), t.el);
}
