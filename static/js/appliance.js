// Device page: what a typical run costs by the hour it starts tomorrow, as bars (the table
// under the chart has the same numbers; the cheapest hour is drawn in the accent colour).
import { $ } from "./api.js";
import { plot, accent } from "./charts.js";

const data = $("#runs-cheapest");
const chart = $("#runs-chart");
if (data && chart) {
  const cheapest = JSON.parse(data.textContent);
  const hours = cheapest.hours;
  // The hour lived twice in autumn appears twice: number the bars so both are shown.
  const labels = hours.map((h, n) => (hours.findIndex((o) => o.hour === h.hour) === n ? h.hour : `${h.hour} (2nd)`));
  const colours = hours.map((h) => (h.cost === cheapest.cost ? accent() : "#9aa4b2"));
  plot(chart, [{ type: "bar", x: labels, y: hours.map((h) => h.cost), marker: { color: colours }, hovertemplate: "%{x}: %{y}<extra></extra>" }], {
    xaxis: { type: "category", title: { text: `Start on ${cheapest.day}` } },
    yaxis: { title: { text: "Cost of a typical run" }, rangemode: "tozero" },
    hovermode: "closest",
    margin: { l: 56, r: 16, t: 8, b: 56 },
    height: 220,
  });
}
