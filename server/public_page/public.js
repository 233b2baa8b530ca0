// The public disclosure page: a month's figures per department and per window and the
// comments that passed moderation, as /public/figures.json and /public/comments.json give
// them. No login, no storage; every value goes in as text (h, the pages' one DOM builder).
import { h } from "/mp/dom.js";

const TIMEOUT_MS = 15000;
const query = new URLSearchParams(location.search);
const region = query.get("region") || "";
let month = query.get("month") || "";
let cursor = null;
let shown = 0;
let generation = 0; // a month switched mid-load: the older answers are dropped

const byId = (id) => document.getElementById(id);

class Refused extends Error {}

async function getJson(path, params) {
  const search = new URLSearchParams(Object.entries(params).filter(([, value]) => value));
  let response;
  try {
    response = await fetch(`${path}?${search}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    throw new Refused("网络连接失败，请稍后重试");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok || !body) {
    throw new Refused((body && body.message) || "暂时无法加载，请稍后重试");
  }
  return body;
}

function monthText(label) {
  const [year, number] = label.split("-");
  return `${year}年${Number(number)}月`;
}

function percent(value) {
  return `${(value * 100).toFixed(1)}%`;
}

function beijingTime(iso) {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

function setStatus(text) {
  const status = byId("status");
  status.textContent = text;
  status.hidden = !text;
}

function fillMonths(months, chosen) {
  const select = byId("month");
  select.replaceChildren(
    ...months.map((label, index) =>
      h("option", { value: label, selected: label === chosen },
        index === 0 ? `${monthText(label)}（本月，仍在统计）` : monthText(label)),
    ),
  );
  select.disabled = false;
}

function figureCell(figure) {
  if (figure.withheld) {
    return h("td", { className: "withheld" }, "样本不足");
  }
  return h(
    "td",
    { className: "figure" },
    percent(figure.value),
    h("span", { className: "count" }, `${figure.numerator} / ${figure.denominator}`),
  );
}

function fillTable(table, caption, heads, rows, empty) {
  const head = h("tr", {}, ...heads.map((text) => h("th", { scope: "col" }, text)));
  const body = rows.length
    ? rows
    : [h("tr", {}, h("td", { colspan: String(heads.length) }, empty))];
  table.replaceChildren(h("caption", {}, caption), h("thead", {}, head), h("tbody", {}, ...body));
}

function showFigures(answer) {
  fillMonths(answer.months, answer.month);
  const named = monthText(answer.month);
  const place = answer.region ? answer.region.name : "";
  byId("region").hidden = !place;
  byId("region").textContent = place ? `区划：${place}` : "";
  document.title = `${named}${place}政务服务“好差评”评价结果公开`;
  for (const id of ["basis", "departments-section", "windows-section"]) {
    byId(id).hidden = !answer.published;
  }
  if (!answer.published) {
    setStatus("本地规则没有规定向社会公开评价结果，本页暂无可公开的内容。");
    return;
  }
  setStatus("");
  const policy = answer.policy;
  byId("basis-text").replaceChildren(
    `${policy.title}：${policy.description}。`,
    `评价数（或办件数）少于 ${policy.minSample} 的指标只注明“样本不足”，不公开具体数值，以免据此识别个人。`,
    h("span", { className: "count" }, answer.metrics.map((m) => `${m.title}：${m.description}`).join("；")),
  );
  byId("computed").textContent = `数据生成时间：${beijingTime(answer.computedAt)}（北京时间），按办件办结月份统计。`;
  const titles = answer.metrics.map((m) => m.title);
  const departmentRows = answer.departments.map((d) =>
    h("tr", {}, h("th", { scope: "row" }, d.name), ...d.figures.map(figureCell)),
  );
  fillTable(byId("departments"), `${named}${place}各部门评价结果，共 ${answer.departments.length} 个部门`,
    ["部门", ...titles], departmentRows, "本月暂无办结的办件");
  const windowRows = answer.windows.map((w) =>
    h("tr", {}, h("th", { scope: "row" }, w.name), h("td", { className: "name" }, w.department.name),
      ...w.figures.map(figureCell)),
  );
  fillTable(byId("windows"), `${named}${place}各窗口评价结果，共 ${answer.windows.length} 个窗口`,
    ["窗口", "所属部门", ...titles], windowRows, "本月暂无在窗口办结的办件");
}

function commentItem(comment) {
  const where = [`评价于 ${comment.date}`, comment.department, comment.window || "网上办理", comment.matter];
  return h(
    "li",
    { tabindex: "-1" },
    h("p", { className: "where" }, h("span", { className: "level" }, comment.levelLabel), ` · ${where.join(" · ")}`),
    h("blockquote", {}, comment.comment),
  );
}

function showComments(answer, append) {
  const section = byId("comments-section");
  section.hidden = false;
  const list = byId("comments");
  const items = answer.comments.map(commentItem);
  if (append) {
    list.append(...items);
  } else {
    list.replaceChildren(...items);
    shown = 0;
  }
  shown += items.length;
  cursor = answer.nextCursor;
  byId("more").hidden = !cursor;
  let text = `已显示 ${shown} 条文字评价${cursor ? "，还有更多" : "，已全部显示"}。`;
  if (!answer.published) {
    text = "本地规则没有规定公开文字评价。";
  } else if (shown === 0) {
    text = "本月暂无公开的文字评价。";
  }
  byId("comments-status").textContent = text;
  return items;
}

async function load() {
  const mine = ++generation;
  setStatus("正在加载…");
  try {
    const figures = await getJson("/public/figures.json", { month, region });
    if (mine !== generation) return;
    month = figures.month;
    showFigures(figures);
    const comments = await getJson("/public/comments.json", { month, region });
    if (mine !== generation) return;
    showComments(comments, false);
  } catch (error) {
    if (mine !== generation) return;
    setStatus(error instanceof Refused ? error.message : "暂时无法加载，请稍后重试");
  }
}

async function more() {
  const button = byId("more");
  const mine = generation;
  button.disabled = true;
  try {
    const answer = await getJson("/public/comments.json", { month, region, after: cursor });
    if (mine !== generation) return;
    const [first] = showComments(answer, true);
    if (first) first.focus();
  } catch (error) {
    byId("comments-status").textContent =
      error instanceof Refused ? error.message : "暂时无法加载，请稍后重试";
  } finally {
    button.disabled = false;
  }
}

byId("month").addEventListener("change", (event) => {
  month = event.target.value;
  query.set("month", month);
  history.replaceState(null, "", `?${query}`);
  load();
});
byId("more").addEventListener("click", more);
load();
