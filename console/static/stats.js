// 统计分析 (/console/stats): for a period and a scope, the policy's figures by period as a
// trend (statistics), a ranking of departments, windows or staff (ranking), how far the bad
// ratings' work items got (statisticsFunnel) and the items overdue now (workItems). Each
// chart has a table of every figure it draws. The API scopes them all: an area admin their
// region and below, a department's handler their department, window staff their own
// figures. Admins and handlers download the figures as a file (/console/export/statistics).
import { exportFile, gql } from "./api.js";
import { save } from "./exports.js";
import { GRANULARITIES, RANKED, statsMessageFor } from "./messages.js";
import {
  chartBox,
  drawFunnel,
  drawRanking,
  drawTrend,
  percent,
  releaseCharts,
  withCounts,
} from "./charts.js";
import { field, focusHeading, formatTime, h, statusLine, todayInBeijing } from "./ui.js";

const MONTHS_SHOWN = 12; // the default period: this month and the eleven before it
const OVERDUE_SHOWN = 20;
const TRANSIENT = new Set(["NETWORK", "TIMEOUT", "INTERNAL"]);
const ITEM_PAGE = "/console/#/items/"; // the worklist's page of an item
const METRICS = "query { metrics { code title description better } }";
const DEPARTMENTS = `query($after: String) {
  departments(first: 100, after: $after) {
    nodes { code name } pageInfo { hasNextPage endCursor }
  }
}`;
const WINDOWS = `query($after: String) {
  windows(first: 100, after: $after) {
    nodes { code name department { code } } pageInfo { hasNextPage endCursor }
  }
}`;
const STATISTICS = `query($p: StatPeriod!, $m: [String!], $s: StatScope, $g: Granularity!) {
  statistics(period: $p, metrics: $m, scope: $s, granularity: $g) {
    metrics { code title }
    rows { period figures { metric numerator denominator value } }
    asOf lagSeconds
  }
}`;
const RANKING = `query($m: String!, $by: Dimension!, $p: StatPeriod!, $min: Int!, $s: StatScope) {
  ranking(metric: $m, by: $by, period: $p, minSample: $min, scope: $s) {
    metric { title better }
    entries { rank group { code name } figure { numerator denominator value } }
  }
}`;
const FUNNEL = `query($p: StatPeriod!, $s: StatScope) {
  statisticsFunnel(period: $p, scope: $s) {
    stages { key title count } others { key title count }
  }
}`;
const OVERDUE = `query($f: WorkItemFilter, $first: Int!) {
  workItems(filter: $f, first: $first) {
    nodes { id caseNo matterName department { name } stepTitle dueAt escalated }
    pageInfo { hasNextPage }
  }
}`;
const EXPORT_GROUPS = [
  ["", "不分组"],
  ["department", "按部门"],
  ["department,window", "按部门和窗口"],
  ["staff", "按工作人员"],
];

async function everyNode(query, name) {
  const nodes = [];
  let after = null;
  do {
    const page = (await gql(query, { after }))[name];
    nodes.push(...page.nodes);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return nodes;
}

async function referenceData(viewer) {
  const staff = viewer.role === "window_staff";
  const [{ metrics }, departments, windows] = await Promise.all([
    gql(METRICS),
    viewer.role === "area_admin" ? everyNode(DEPARTMENTS, "departments") : [],
    staff ? [] : everyNode(WINDOWS, "windows"),
  ]);
  return { metrics, departments, windows };
}

/** The first day of the month MONTHS_SHOWN - 1 months before `today` ("2026-12-04"). */
function firstShown(today) {
  const [year, month] = today.split("-").map(Number);
  const index = year * 12 + month - 1 - (MONTHS_SHOWN - 1);
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}-01`;
}

function failed(status, error, retry) {
  // A refusal of what was asked comes again on a retry: only a failure on the way offers one.
  const passing = error && TRANSIENT.has(error.code);
  status.fail({ apiMessage: statsMessageFor(error) }, passing ? retry : null);
  if (error && error.code) {
    status.node.append(h("p", { className: "meta", text: `错误代码：${error.code}` }));
  }
}

function dateInput(id, value) {
  return h("input", { type: "date", id, name: id, value, required: true });
}

function hint(text) {
  return h("p", { className: "hint", text });
}

function options(choices, chosen) {
  return choices.map(([value, label]) => h("option", { value, selected: value === chosen }, label));
}

function select(id, choices, chosen) {
  return h("select", { id, name: id }, options(choices, chosen));
}

function windowChoices(windows, department) {
  const shown = windows.filter((w) => !department || w.department.code === department);
  return [["", "全部窗口"], ...shown.map((w) => [w.code, w.name])];
}

function ago(seconds) {
  if (seconds < 60) {
    return `${seconds} 秒`;
  }
  if (seconds < 3600) {
    return `${Math.round(seconds / 60)} 分钟`;
  }
  return seconds < 86400 ? `${Math.round(seconds / 3600)} 小时` : `${Math.round(seconds / 86400)} 天`;
}

/** "数据截至 17:20，约 35 秒前": until when the figures count every change (the API's lag is
 * 0 exactly when nothing waits to be counted). */
function asOfText(statistics) {
  const when = formatTime(statistics.asOf);
  const time = when.startsWith(todayInBeijing()) ? when.slice(11) : when;
  if (statistics.lagSeconds === 0) {
    return `数据截至 ${time}，所有变动均已计入`;
  }
  const lag = Math.max(1, Math.round(statistics.lagSeconds));
  return `数据截至 ${time}，约 ${ago(lag)}前；此后的变动将在系统下次汇总时计入`;
}

function filterForm(viewer, reference, chosen, onQuery) {
  const department =
    viewer.role === "area_admin" &&
    select(
      "stats-department",
      [["", "全部部门"], ...reference.departments.map((d) => [d.code, d.name])],
      chosen.department,
    );
  const windowSelect =
    viewer.role !== "window_staff" &&
    select("stats-window", windowChoices(reference.windows, chosen.department), chosen.window);
  if (department) {
    department.addEventListener("change", () => {
      const choices = windowChoices(reference.windows, department.value);
      windowSelect.replaceChildren(...options(choices, ""));
    });
  }
  const metrics = h(
    "fieldset",
    { className: "choices" },
    h("legend", { text: "趋势指标" }),
    reference.metrics.map((metric) =>
      h(
        "label",
        { className: "choice", title: metric.description },
        h("input", {
          type: "checkbox",
          name: "stats-metric",
          value: metric.code,
          checked: chosen.metrics.includes(metric.code),
        }),
        metric.title,
      ),
    ),
  );
  const form = h(
    "form",
    { className: "card filters stats-filters", "aria-label": "统计条件" },
    field("开始日期", dateInput("stats-from", chosen.from)),
    field("结束日期", dateInput("stats-to", chosen.to)),
    field("统计周期", select("stats-granularity", Object.entries(GRANULARITIES), chosen.granularity)),
    department && field("部门", department),
    windowSelect && field("窗口", windowSelect),
    metrics,
    h("button", { type: "submit", className: "primary" }, "查询"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const checked = form.querySelectorAll('[name="stats-metric"]:checked');
    onQuery({
      from: form.querySelector("#stats-from").value,
      to: form.querySelector("#stats-to").value,
      granularity: form.querySelector("#stats-granularity").value,
      department: department ? department.value : "",
      window: windowSelect ? windowSelect.value : "",
      metrics: [...checked].map((box) => box.value),
    });
  });
  return form;
}

function section(id, title, ...children) {
  return h(
    "section",
    { className: "card stats-section", id, "aria-labelledby": `${id}-title` },
    h("h3", { id: `${id}-title`, text: title }),
    ...children,
  );
}

/** Fill `slot` from `load()`, with a status while it loads and the refusal if it fails. */
async function fill(slot, load) {
  const status = statusLine();
  slot.replaceChildren(status.node);
  status.busy("正在加载…");
  try {
    await load();
  } catch (error) {
    slot.replaceChildren(status.node);
    failed(status, error, () => fill(slot, load));
  }
}

function trendTable(statistics, granularity) {
  const label = GRANULARITIES[granularity];
  return h(
    "table",
    { className: "worklist figures" },
    h("caption", { text: `各统计期（${label}）的指标值，括号内为分子/分母` }),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col", text: "统计期" }),
        statistics.metrics.map((m) =>
          h("th", { scope: "col", className: "number", text: m.title }),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      statistics.rows.map((row) =>
        h(
          "tr",
          { "data-period": row.period },
          h("th", { scope: "row", text: row.period }),
          row.figures.map((figure) =>
            h("td", {
              className: "number",
              "data-metric": figure.metric,
              text: withCounts(figure),
            }),
          ),
        ),
      ),
    ),
  );
}

function trendSummary(statistics, granularity) {
  const rows = statistics.rows;
  const last = rows[rows.length - 1];
  const titles = Object.fromEntries(statistics.metrics.map((m) => [m.code, m.title]));
  const latest = last.figures.map((f) => `${titles[f.metric]} ${withCounts(f)}`).join("，");
  return (
    `指标趋势折线图（${GRANULARITIES[granularity]}），${rows[0].period} 至 ${last.period}。` +
    `最近一期 ${last.period}：${latest}。各期数字见图下的表格。`
  );
}

async function showTrend(slot, asOf, query) {
  if (!query.metrics.length) {
    slot.replaceChildren(hint("请在统计条件中至少选择一个趋势指标"));
    return;
  }
  await fill(slot, async () => {
    const { statistics } = await gql(STATISTICS, {
      p: query.period,
      m: query.metrics,
      s: query.scope,
      g: query.granularity,
    });
    asOf.textContent = asOfText(statistics);
    if (!statistics.rows.length) {
      slot.replaceChildren(hint("统计期内没有办结的办件，暂无数据"));
      return;
    }
    const box = chartBox(trendSummary(statistics, query.granularity));
    slot.replaceChildren(
      box,
      h("div", { className: "scroll" }, trendTable(statistics, query.granularity)),
      hint("办件按办结日期计入统计期；没有办结办件的统计期不列出。"),
    );
    if (!(await drawTrend(box, statistics.metrics, statistics.rows))) {
      box.replaceWith(hint("图表未能加载，各项数字见下表"));
    }
  });
}

function rankingTable(ranking, by) {
  return h(
    "table",
    { className: "worklist figures" },
    h("caption", { text: `${RANKED[by]}${ranking.metric.title}排名，最好的在前` }),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["名次", RANKED[by], "编码"].map((text) => h("th", { scope: "col", text })),
        h("th", { scope: "col", className: "number", text: `${ranking.metric.title}（分子/分母）` }),
      ),
    ),
    h(
      "tbody",
      {},
      ranking.entries.map((entry) =>
        h(
          "tr",
          { "data-code": entry.group.code },
          h("td", { text: String(entry.rank) }),
          h("th", { scope: "row", text: entry.group.name }),
          h("td", { text: entry.group.code }),
          h("td", { className: "number", text: withCounts(entry.figure) }),
        ),
      ),
    ),
  );
}

function rankingSummary(ranking, by) {
  const entries = ranking.entries;
  const first = entries[0];
  const last = entries[entries.length - 1];
  return (
    `${RANKED[by]}${ranking.metric.title}排名条形图，共 ${entries.length} 个，` +
    `第一名 ${first.group.name} ${percent(first.figure.value)}，` +
    `最后一名 ${last.group.name} ${percent(last.figure.value)}。完整排名见图下的表格。`
  );
}

function rankingForm(viewer, reference, chosen, onRank) {
  // A handler's department is the only one there is to rank.
  const everything = Object.entries(RANKED);
  const ranked = viewer.role === "area_admin" ? everything : everything.slice(1);
  const form = h(
    "form",
    { className: "filters", "aria-label": "排名条件" },
    field("排名对象", select("rank-by", ranked, chosen.by)),
    field(
      "排名指标",
      select("rank-metric", reference.metrics.map((m) => [m.code, m.title]), chosen.metric),
    ),
    field(
      "最少样本数（指标分母不少于）",
      h("input", {
        type: "number",
        id: "rank-min",
        min: 1,
        max: 1000000,
        value: chosen.minSample,
        required: true,
      }),
    ),
    h("button", { type: "submit" }, "更新排名"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onRank({
      by: form.querySelector("#rank-by").value,
      metric: form.querySelector("#rank-metric").value,
      minSample: Number(form.querySelector("#rank-min").value),
    });
  });
  return form;
}

async function showRanking(slot, query, chosen) {
  await fill(slot, async () => {
    const { ranking } = await gql(RANKING, {
      m: chosen.metric,
      by: chosen.by,
      p: query.period,
      min: chosen.minSample,
      s: query.scope,
    });
    const better = ranking.metric.better === "lower" ? "越低越好" : "越高越好";
    const rule = hint(`${ranking.metric.title}${better}；样本数不足 ${chosen.minSample} 的不参与排名。`);
    if (!ranking.entries.length) {
      slot.replaceChildren(rule, hint(`没有样本数达到 ${chosen.minSample} 的${RANKED[chosen.by]}`));
      return;
    }
    const box = chartBox(rankingSummary(ranking, chosen.by), "chart bars");
    const table = h("div", { className: "scroll" }, rankingTable(ranking, chosen.by));
    slot.replaceChildren(rule, box, table);
    if (!(await drawRanking(box, ranking))) {
      box.replaceWith(hint("图表未能加载，排名见下表"));
    }
  });
}

function funnelTable(stages) {
  const first = stages[0].count;
  return h(
    "table",
    { className: "worklist figures" },
    h("caption", { text: "差评工单各环节的件数，及占差评的比例" }),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col", text: "环节" }),
        h("th", { scope: "col", className: "number", text: "件数" }),
        h("th", { scope: "col", className: "number", text: "占差评" }),
      ),
    ),
    h(
      "tbody",
      {},
      stages.map((stage) =>
        h(
          "tr",
          { "data-stage": stage.key },
          h("th", { scope: "row", text: stage.title }),
          h("td", { className: "number", text: String(stage.count) }),
          h("td", { className: "number", text: percent(first ? stage.count / first : null) }),
        ),
      ),
    ),
  );
}

async function showFunnel(slot, query) {
  await fill(slot, async () => {
    const { statisticsFunnel: funnel } = await gql(FUNNEL, { p: query.period, s: query.scope });
    const [bad] = funnel.stages;
    if (!bad.count) {
      slot.replaceChildren(hint("统计期内没有差评工单"));
      return;
    }
    const summary =
      "差评处理漏斗图：" +
      funnel.stages.map((s) => `${s.title} ${s.count} 件`).join("，") +
      "。各环节数字见图下的表格。";
    const box = chartBox(summary, "chart funnel");
    const others = h(
      "dl",
      { className: "details others" },
      funnel.others.flatMap((stage) => [
        h("dt", { text: stage.title }),
        h("dd", { "data-other": stage.key, text: `${stage.count} 件` }),
      ]),
    );
    slot.replaceChildren(box, funnelTable(funnel.stages), h("h4", { text: "其他情况" }), others);
    if (!(await drawFunnel(box, funnel.stages))) {
      box.replaceWith(hint("图表未能加载，各环节数字见下表"));
    }
  });
}

function overdueRow(item) {
  return h(
    "tr",
    { "data-case-no": item.caseNo },
    h("td", {}, h("a", { href: `${ITEM_PAGE}${encodeURIComponent(item.id)}`, text: item.caseNo })),
    h("td", { text: item.matterName }),
    h("td", { text: item.department.name }),
    h("td", { text: item.stepTitle || "—" }),
    h("td", { text: item.dueAt ? formatTime(item.dueAt) : "不限" }),
    h("td", {}, item.escalated && h("span", { className: "badge escalated", text: "已督办" })),
  );
}

async function showOverdue(slot, chosen) {
  await fill(slot, async () => {
    const filter = { overdue: true, status: "OPEN" };
    if (chosen.department) {
      filter.departmentCode = chosen.department;
    }
    const { workItems } = await gql(OVERDUE, { f: filter, first: OVERDUE_SHOWN });
    if (!workItems.nodes.length) {
      slot.replaceChildren(hint("没有超期的差评工单"));
      return;
    }
    const heads = ["办件编号", "事项", "部门", "当前环节", "办理期限", "督办"];
    const table = h(
      "table",
      { className: "worklist" },
      h("caption", { className: "visually-hidden", text: "超期的差评工单，最先到期的在前" }),
      h("thead", {}, h("tr", {}, heads.map((text) => h("th", { scope: "col", text })))),
      h("tbody", {}, workItems.nodes.map(overdueRow)),
    );
    const more = `仅列出最先到期的 ${OVERDUE_SHOWN} 件；全部超期工单请在“差评工单”中勾选“只看已超期”查看。`;
    slot.replaceChildren(h("div", { className: "scroll" }, table));
    if (workItems.pageInfo.hasNextPage) {
      slot.append(hint(more));
    }
  });
}

function downloads(query) {
  const status = statusLine();
  const group = select("stats-export-group", EXPORT_GROUPS, "department");
  const buttons = [
    ["xlsx", "下载 Excel 工作簿（.xlsx）"],
    ["csv", "下载 CSV 文件（.csv）"],
  ].map(([fmt, label]) => {
    const button = h("button", { type: "button", "data-format": fmt }, label);
    button.addEventListener("click", async () => {
      const wanted = new URLSearchParams({ ...query.period, granularity: query.granularity });
      if (group.value) {
        wanted.set("groupBy", group.value);
      }
      buttons.forEach((b) => (b.disabled = true));
      status.busy("正在生成文件…");
      try {
        save(await exportFile(`/console/export/statistics.${fmt}?${wanted}`));
        status.done("文件已生成，请在浏览器的下载中查看");
      } catch (error) {
        status.fail(error);
      } finally {
        buttons.forEach((b) => (b.disabled = false));
      }
    });
    return button;
  });
  return section(
    "stats-download",
    "下载统计数据",
    hint(
      "文件按上面的统计期和统计周期生成，含各项指标的分子、分母和数值；范围为您所辖的全部数据，不受部门、窗口筛选的限制。文件不含申请人和评价人的个人信息。",
    ),
    h("div", { className: "filters" }, field("分组方式", group), ...buttons),
    status.node,
  );
}

function scopeOf(viewer, chosen) {
  const scope = {};
  if (viewer.role === "area_admin" && chosen.department) {
    scope.departmentCode = chosen.department;
  }
  if (viewer.role !== "window_staff" && chosen.window) {
    scope.windowCode = chosen.window;
  }
  return Object.keys(scope).length ? scope : null;
}

function showResults(results, viewer, reference, chosen, ranked) {
  releaseCharts();
  const query = {
    period: { from: chosen.from, to: chosen.to },
    scope: scopeOf(viewer, chosen),
    granularity: chosen.granularity,
    metrics: chosen.metrics,
  };
  const asOf = h("p", { className: "as-of", role: "status" });
  const slots = { trend: h("div"), ranking: h("div"), funnel: h("div"), overdue: h("div") };
  const staff = viewer.role === "window_staff";
  const rankingPart =
    !staff &&
    section(
      "stats-ranking",
      "排名",
      rankingForm(viewer, reference, ranked, (next) => {
        Object.assign(ranked, next);
        showRanking(slots.ranking, query, ranked);
      }),
      slots.ranking,
    );
  const parts = [
    asOf,
    section("stats-trend", "指标趋势", slots.trend),
    h(
      "div",
      { className: "stats-pair" },
      rankingPart,
      section("stats-funnel", "差评处理情况", slots.funnel),
    ),
    section(
      "stats-overdue",
      "超期工单",
      hint("当前仍在办理、已超过办理期限的差评工单（按所选部门，不受统计期限制）。"),
      slots.overdue,
    ),
    !staff && downloads(query),
  ];
  results.replaceChildren(...parts.filter(Boolean));
  showTrend(slots.trend, asOf, query);
  if (!staff) {
    showRanking(slots.ranking, query, ranked);
  }
  showFunnel(slots.funnel, query);
  showOverdue(slots.overdue, chosen);
}

/** The dashboard for `viewer` into `container`: the last twelve months by month at first. */
export async function renderStats(container, viewer) {
  releaseCharts();
  const status = statusLine();
  container.replaceChildren(h("h2", { text: "统计分析" }), status.node);
  focusHeading(container);
  status.busy("正在加载…");
  let reference;
  try {
    reference = await referenceData(viewer);
  } catch (error) {
    failed(status, error, () => renderStats(container, viewer));
    return;
  }
  const today = todayInBeijing();
  const chosen = {
    from: firstShown(today),
    to: today,
    granularity: "MONTH",
    department: "",
    window: "",
    metrics: reference.metrics.map((m) => m.code),
  };
  const [first] = reference.metrics;
  const ranked = {
    by: viewer.role === "area_admin" ? "DEPARTMENT" : "WINDOW",
    metric: first ? first.code : "",
    minSample: 1,
  };
  const results = h("div", { className: "stats-results" });
  const form = filterForm(viewer, reference, chosen, (next) => {
    Object.assign(chosen, next);
    showResults(results, viewer, reference, chosen, ranked);
  });
  container.replaceChildren(
    h("h2", { text: "统计分析" }),
    hint("按办结日期统计；地区管理员看本人所辖区划，部门差评处理人员看本部门，窗口人员看本人的数据。"),
    form,
    results,
  );
  focusHeading(container);
  showResults(results, viewer, reference, chosen, ranked);
}
