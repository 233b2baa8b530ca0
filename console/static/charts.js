// The dashboard's charts, drawn by the vendored Apache ECharts (vendor/README.md), loaded
// the first time a chart is drawn so that the other pages never fetch it. Under the
// console's CSP: the SVG renderer, and tooltips drawn as rich text (ECharts' HTML tooltips
// carry style attributes, which the policy refuses). Every chart is an image with a
// summary for screen readers; the table beside it holds every figure.
import { h } from "./ui.js";

const ECHARTS = "/console/assets/vendor/echarts-6.1.0.min.js";
// The console's colours (console.css) first, then others a reader tells apart.
const PALETTE = ["#0a58a8", "#1b6e20", "#a4001d", "#7a4a00", "#5b3f99", "#00707a"];
const BAR_ROWS_SHOWN = 20;

let loading = null;
const drawn = new Set();

window.addEventListener("resize", () => {
  for (const chart of drawn) {
    chart.resize();
  }
});

/** ECharts, once: a script of this origin, as the policy allows. */
function library() {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = h("script", { src: ECHARTS });
      script.addEventListener("load", () => resolve(window.echarts));
      script.addEventListener("error", () => {
        loading = null;
        script.remove();
        reject(new Error("charts"));
      });
      document.head.append(script);
    });
  }
  return loading;
}

/** Free the charts drawn (their listeners and nodes) when the view changes. */
export function releaseCharts() {
  for (const chart of drawn) {
    chart.dispose();
  }
  drawn.clear();
}

/** A value of the API (0.75, or null for 0/0) as the dashboard writes it: "75.0%". */
export function percent(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

/** "75.0%（3/4）" */
export function withCounts(figure) {
  return `${percent(figure.value)}（${figure.numerator}/${figure.denominator}）`;
}

function point(figure) {
  const value = figure.value === null ? "-" : Math.round(figure.value * 1000) / 10;
  return { value, numerator: figure.numerator, denominator: figure.denominator };
}

function counted(data) {
  const figure = { ...data, value: data.value === "-" ? null : data.value / 100 };
  return withCounts(figure);
}

/** The chart's place: an image to assistive technology, named by `summary`. */
export function chartBox(summary, className = "chart") {
  return h("div", { className, role: "img", "aria-label": summary });
}

/** Draw `option` into `box` once it is on the page; false when ECharts could not load. */
async function draw(box, option) {
  let echarts;
  try {
    echarts = await library();
  } catch {
    return false;
  }
  if (!box.isConnected) {
    return true; // the view changed meanwhile
  }
  const chart = echarts.init(box, null, { renderer: "svg", locale: "ZH" });
  const fontFamily = getComputedStyle(document.body).fontFamily;
  chart.setOption({ animation: false, color: PALETTE, textStyle: { fontFamily }, ...option });
  drawn.add(chart);
  return true;
}

/** The metrics' values by period as lines (0–100 %); the tooltip gives the counts. */
export function drawTrend(box, metrics, rows) {
  const series = metrics.map((metric) => ({
    type: "line",
    name: metric.title,
    symbolSize: 8,
    data: rows.map((row) => point(row.figures.find((f) => f.metric === metric.code))),
  }));
  return draw(box, {
    tooltip: {
      trigger: "axis",
      renderMode: "richText",
      formatter: (items) =>
        [items[0].axisValue, ...items.map((i) => `${i.seriesName}：${counted(i.data)}`)].join("\n"),
    },
    legend: { top: 0 },
    grid: { left: 16, right: 24, top: 40, bottom: 16, containLabel: true },
    xAxis: { type: "category", boundaryGap: false, data: rows.map((row) => row.period) },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series,
  });
}

/** The ranking's first entries as bars, the best at the top. */
export function drawRanking(box, ranking) {
  const shown = ranking.entries.slice(0, BAR_ROWS_SHOWN);
  box.style.height = `${Math.max(8, shown.length * 2.25 + 3)}rem`;
  return draw(box, {
    tooltip: {
      trigger: "item",
      renderMode: "richText",
      formatter: (item) => `${item.name}\n${ranking.metric.title}：${counted(item.data)}`,
    },
    grid: { left: 8, right: 72, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    yAxis: {
      type: "category",
      inverse: true,
      data: shown.map((entry) => `${entry.rank}. ${entry.group.name}`),
    },
    series: [
      {
        type: "bar",
        barMaxWidth: 24,
        data: shown.map((entry) => point(entry.figure)),
        label: { show: true, position: "right", formatter: (item) => percent(item.value / 100) },
      },
    ],
  });
}

/** The funnel's stages in their order, each as wide as its count is of the first. */
export function drawFunnel(box, stages) {
  return draw(box, {
    tooltip: {
      trigger: "item",
      renderMode: "richText",
      formatter: (item) => `${item.name}：${item.value} 件`,
    },
    series: [
      {
        type: "funnel",
        sort: "none",
        left: 8,
        right: 112,
        top: 8,
        bottom: 8,
        min: 0,
        max: Math.max(1, stages[0].count),
        minSize: "8%",
        gap: 2,
        // Beside the shapes: a stage of few items is too narrow to hold its words.
        label: { show: true, position: "right", formatter: "{b} {c} 件", color: "#1a1a1a" },
        data: stages.map((stage) => ({ name: stage.title, value: stage.count })),
      },
    ],
  });
}
