// The worklist (workItems): the items the staff member works or oversees, the soonest due
// first as the API sorts them, so the overdue lead; filters and "load more" by cursor.
import { gql } from "./api.js";
import { STEPS, closeReasonName } from "./messages.js";
import { focusHeading, formatTime, h, pager, statusLine } from "./ui.js";

const PAGE = 20;
const ITEMS = `
query($f: WorkItemFilter, $first: Int, $after: String) {
  workItems(filter: $f, first: $first, after: $after) {
    nodes {
      id caseNo matterName department { name } status stepTitle
      levelLabel tagLabels dueAt overdue escalated closeReason
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

function select(id, choices, chosen) {
  return h(
    "select",
    { id, name: id },
    choices.map(([value, label]) => h("option", { value, selected: value === chosen }, label)),
  );
}

function filters(chosen, onChange) {
  const steps = [["", "全部环节"], ...Object.entries(STEPS)];
  const statuses = [
    ["OPEN", "办理中"],
    ["CLOSED", "已办结"],
    ["", "全部"],
  ];
  const form = h(
    "form",
    { className: "filters", "aria-label": "筛选工单" },
    h("label", { for: "filter-step", text: "环节" }),
    select("filter-step", steps, chosen.step || ""),
    h("label", { for: "filter-status", text: "状态" }),
    select("filter-status", statuses, chosen.status || ""),
    h(
      "label",
      { className: "choice" },
      h("input", { type: "checkbox", id: "filter-overdue", checked: chosen.overdue === true }),
      "只看已超期",
    ),
    h("label", { for: "filter-case", text: "办件编号" }),
    h("input", { type: "search", id: "filter-case", value: chosen.caseNo || "" }),
  );
  const changed = () => {
    const overdue = form.querySelector("#filter-overdue").checked;
    onChange({
      step: form.querySelector("#filter-step").value || null,
      status: form.querySelector("#filter-status").value || null,
      overdue: overdue ? true : null,
      caseNo: form.querySelector("#filter-case").value.trim() || null,
    });
  };
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    changed();
  });
  return form;
}

function badges(item) {
  if (item.status === "CLOSED") {
    return [h("span", { className: "badge closed", text: `已办结·${closeReasonName(item.closeReason)}` })];
  }
  return [
    item.overdue && h("span", { className: "badge overdue", text: "已超期" }),
    item.escalated && h("span", { className: "badge escalated", text: "已督办" }),
  ];
}

function row(item) {
  return h(
    "tr",
    { "data-case-no": item.caseNo, className: item.overdue ? "overdue" : null },
    h("td", {}, h("a", { href: `#/items/${encodeURIComponent(item.id)}`, text: item.caseNo })),
    h("td", { text: item.matterName }),
    h("td", { text: item.department.name }),
    h("td", { text: item.stepTitle || "—" }),
    h("td", { text: item.levelLabel }),
    h("td", {}, item.tagLabels.map((label) => h("span", { className: "tag", text: label }))),
    h("td", { text: item.dueAt ? formatTime(item.dueAt) : "不限" }),
    h("td", {}, badges(item)),
  );
}

function table() {
  const heads = ["办件编号", "事项", "部门", "当前环节", "评价", "差评原因", "办理期限", "状态"];
  const body = h("tbody");
  const node = h(
    "table",
    { className: "worklist" },
    h("caption", { className: "visually-hidden", text: "差评工单，最先到期的在前" }),
    h("thead", {}, h("tr", {}, heads.map((text) => h("th", { scope: "col", text })))),
    body,
  );
  return { node, body };
}

/** Render the worklist into `container` with the filter `chosen`; `onFilter` keeps it. */
export function renderWorklist(container, chosen, onFilter) {
  const status = statusLine();
  const { node, body } = table();
  const empty = h("p", { className: "hint", hidden: true, text: "没有符合条件的差评工单" });
  const filter = Object.fromEntries(Object.entries(chosen).filter(([, v]) => v !== null));
  const { more, load } = pager({
    status,
    body,
    empty,
    fetchPage: async (after) => (await gql(ITEMS, { f: filter, first: PAGE, after })).workItems,
    toRow: row,
  });

  container.replaceChildren(
    h("h2", { text: "差评工单" }),
    filters(chosen, onFilter),
    status.node,
    h("div", { className: "scroll" }, node),
    empty,
    more,
  );
  focusHeading(container);
  return load();
}
