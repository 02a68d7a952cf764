// Draws the embed results chart: impressions as bars, clicks and leads as lines, per day.
// The data comes from <script type="application/json" id="stats-data"> (never executed, so the
// CSP allows it); the SVG is built with DOM calls and sized with attributes, never style="".
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function niceMax(value) {
    if (value <= 4) return 4;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    const steps = [1, 2, 2.5, 5, 10];
    for (let i = 0; i < steps.length; i++) {
      if (steps[i] * power >= value) return steps[i] * power;
    }
    return 10 * power;
  }

  function pct(x) { return (x * 100).toFixed(1) + "%"; }

  // Axis numbers fit the 44 px beside the plot: 12500 -> "12.5k".
  function compact(n) {
    const trim = function (v) { return String(Math.round(v * 10) / 10); };
    if (n >= 1e6) return trim(n / 1e6) + "M";
    if (n >= 1e4) return trim(n / 1e3) + "k";
    return String(Math.round(n * 10) / 10);
  }

  // About the width of a "MM-DD" label at 11 px, with a gap: no two day labels closer.
  const DAY_LABEL_WIDTH = 44;

  function draw(container, data) {
    const days = Array.isArray(data.days) ? data.days : [];
    if (!days.length) return;
    const width = Math.max(320, Math.round(container.clientWidth || 720));
    const height = 260;
    const pad = { top: 16, right: 44, bottom: 34, left: 44 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const maxBars = niceMax(Math.max.apply(null, days.map(function (d) { return d.impressions; })));
    const maxLines = niceMax(Math.max.apply(null, days.map(function (d) { return Math.max(d.clicks, d.leads); })));
    const step = plotW / days.length;
    const barW = Math.max(2, step * 0.7);

    const svg = el("svg", {
      viewBox: "0 0 " + width + " " + height,
      width: width,
      height: height,
      class: "chart-svg",
      "aria-hidden": "true",
      focusable: "false",
    });

    // Grid and axes: left for impressions, right for clicks and leads.
    for (let i = 0; i <= 4; i++) {
      const y = pad.top + plotH - (plotH * i) / 4;
      el("line", { x1: pad.left, x2: pad.left + plotW, y1: y, y2: y, class: "chart-grid" }, svg);
      el("text", { x: pad.left - 6, y: y + 4, "text-anchor": "end", class: "chart-axis" }, svg)
        .textContent = compact(Math.round((maxBars * i) / 4));
      el("text", { x: pad.left + plotW + 6, y: y + 4, "text-anchor": "start", class: "chart-axis" }, svg)
        .textContent = compact((maxLines * i) / 4);
    }

    const x = function (i) { return pad.left + step * i + step / 2; };
    const yBar = function (v) { return pad.top + plotH - (plotH * v) / maxBars; };
    const yLine = function (v) { return pad.top + plotH - (plotH * v) / maxLines; };

    // As many day labels as fit the width, evenly spaced; the last day only if it has room.
    const every = Math.max(1, Math.ceil(days.length / Math.max(1, Math.floor(plotW / DAY_LABEL_WIDTH))));
    let lastLabelX = -Infinity;
    days.forEach(function (d, i) {
      const g = el("g", { class: "chart-day" }, svg);
      const top = yBar(d.impressions);
      el("rect", {
        x: x(i) - barW / 2, y: top, width: barW, height: Math.max(0, pad.top + plotH - top),
        class: "chart-bar",
      }, g);
      // A full-height invisible target so every day has a tooltip, also days with no bar.
      const hit = el("rect", { x: x(i) - step / 2, y: pad.top, width: step, height: plotH, class: "chart-hit" }, g);
      el("title", {}, hit).textContent = d.day + ": " + d.impressions + " impressions, " +
        d.clicks + " clicks (" + pct(d.ctr) + "), " + d.leads + " leads";
      if ((i % every === 0 || i === days.length - 1) && x(i) - lastLabelX >= DAY_LABEL_WIDTH) {
        el("text", { x: x(i), y: height - 12, "text-anchor": "middle", class: "chart-axis" }, svg)
          .textContent = d.day.slice(5);
        lastLabelX = x(i);
      }
    });

    ["clicks", "leads"].forEach(function (key) {
      const points = days.map(function (d, i) { return x(i).toFixed(1) + "," + yLine(d[key]).toFixed(1); });
      el("polyline", { points: points.join(" "), class: "chart-line chart-" + key }, svg);
      days.forEach(function (d, i) {
        if (d[key] > 0) el("circle", { cx: x(i), cy: yLine(d[key]), r: 3, class: "chart-dot chart-" + key }, svg);
      });
    });

    container.textContent = "";
    container.appendChild(svg);
  }

  function init() {
    document.querySelectorAll("[data-chart-source]").forEach(function (container) {
      const source = document.getElementById(container.dataset.chartSource);
      if (!source) return;
      let data;
      try { data = JSON.parse(source.textContent); } catch (e) { return; }
      draw(container, data);
      let pending = null;
      window.addEventListener("resize", function () {
        clearTimeout(pending);
        pending = setTimeout(function () { draw(container, data); }, 150);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
