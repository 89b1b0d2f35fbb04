// The insight cards' charts: the bill so far and projected to the period's end (with the
// likely range), and the always-on ranking. The figures are in the cards as text; the
// charts read the same answers from the <script type="application/json"> the server put
// beside them.
import { plot } from "./charts.js";

function data(id) {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : null;
}

const twoPlaces = (value) => Number(value).toFixed(2);

// Cost over the billing period: what was spent up to now, then the projection to its end,
// inside the band between the low and high ends of the likely range.
export function drawBill() {
  const el = document.getElementById("bill-chart");
  const bill = data("bill-data");
  if (!el || !bill) return;
  const { start, end } = bill.period;
  const now = bill.as_of;
  const used = bill.so_far.energy_cost;
  const p = bill.projected;
  const cur = bill.currency;
  plot(el, [
    { type: "scatter", mode: "lines", x: [now, end], y: [used, p.low.total_cost], name: "Low",
      line: { width: 0 }, hoverinfo: "skip", showlegend: false },
    { type: "scatter", mode: "lines", x: [now, end], y: [used, p.high.total_cost], name: "Likely range",
      line: { width: 0 }, fill: "tonexty", fillcolor: "rgba(127,127,127,0.2)",
      hovertemplate: `low ${twoPlaces(p.low.total_cost)} – high ${twoPlaces(p.high.total_cost)} ${cur}<extra></extra>` },
    { type: "scatter", mode: "lines+markers", x: [start, now], y: [0, used], name: "So far",
      hovertemplate: `%{y:.2f} ${cur}<extra>so far</extra>` },
    { type: "scatter", mode: "lines+markers", x: [now, end], y: [used, p.total_cost], name: "Projected",
      line: { dash: "dash" }, hovertemplate: `%{y:.2f} ${cur}<extra>projected</extra>` },
  ], {
    hovermode: "closest", height: 260, margin: { l: 56, r: 16, t: 8, b: 40 },
    xaxis: { type: "date", range: [start, end] }, yaxis: { title: { text: cur } },
  });
}

// The devices' always-on watts, highest at the top, each bar labelled with its cost a year.
export function drawStandby() {
  const el = document.getElementById("standby-chart");
  const standby = data("standby-data");
  if (!el || !standby || !standby.devices.length) return;
  const devices = [...standby.devices].reverse(); // Plotly draws the first category lowest
  plot(el, [{
    type: "bar", orientation: "h", y: devices.map((d) => d.device_name), x: devices.map((d) => d.standby_w),
    text: devices.map((d) => `${twoPlaces(d.yearly_cost)} ${standby.currency}/yr`), textposition: "auto",
    hovertemplate: "%{y}: %{x:.1f} W · %{text}<extra></extra>",
  }], {
    hovermode: "closest", showlegend: false, height: Math.max(160, 48 + 32 * devices.length),
    margin: { l: 16, r: 16, t: 8, b: 40 }, xaxis: { title: { text: "W" }, rangemode: "tozero" },
    yaxis: { automargin: true, type: "category" },
  });
}

export function drawInsights() {
  drawBill();
  drawStandby();
}
