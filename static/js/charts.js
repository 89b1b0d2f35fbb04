// Plotly (served from the pip-installed plotly wheel) with our colours, light or dark.
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export function baseLayout(extra = {}) {
  const text = css("--text");
  const grid = css("--border");
  return {
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: css("--font"), color: text },
    margin: { l: 56, r: 16, t: 16, b: 48 },
    hovermode: "x unified",
    xaxis: { gridcolor: grid, linecolor: grid, zerolinecolor: grid },
    yaxis: { gridcolor: grid, linecolor: grid, zerolinecolor: grid, rangemode: "tozero" },
    legend: { orientation: "h", y: -0.2 },
    colorway: [css("--accent"), css("--ok"), css("--warn"), css("--bad"), "#8e6bd8", "#d86ba5", "#4fb3bf"],
    ...extra,
  };
}

export const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

export function plot(el, traces, layout) {
  if (!window.Plotly) {
    el.textContent = "The chart library did not load; the table below still has the numbers.";
    return;
  }
  window.Plotly.react(el, traces, baseLayout(layout), CONFIG);
}

export function accent() {
  return css("--accent");
}
