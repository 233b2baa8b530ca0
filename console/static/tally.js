// Each rated staff member's confirmed bad ratings (staffTally), the most first as the API
// sorts them, over the policy's period; the staff the policy flags carry a badge.
import { gql } from "./api.js";
import { focusHeading, formatTime, h, statusLine } from "./ui.js";

const TALLY = `
query {
  staffTally {
    since threshold
    rows { staff { code name } department { code name } confirmed flagged }
  }
}`;

function rule(tally) {
  const text =
    tally.threshold === null
      ? "现行评价办法未规定标记工作人员"
      : `统计期内经核实差评达到 ${tally.threshold} 次的工作人员会被标记`;
  return h("p", { className: "rule", text });
}

function row(count) {
  return h(
    "tr",
    { "data-staff-code": count.staff.code },
    h("td", {}, count.staff.name, h("span", { className: "meta", text: `（${count.staff.code}）` })),
    h("td", { text: count.department.name }),
    h("td", { className: "number", text: String(count.confirmed) }),
    h("td", {}, count.flagged && h("span", { className: "badge flagged", text: "已标记" })),
  );
}

function table(rows) {
  const heads = [["工作人员"], ["部门"], ["经核实差评（次）", "number"], ["标记"]];
  return h(
    "table",
    { className: "worklist tally" },
    h("caption", { className: "visually-hidden", text: "人员差评统计，差评最多的在前" }),
    h(
      "thead",
      {},
      h("tr", {}, heads.map(([text, className]) => h("th", { scope: "col", text, className }))),
    ),
    h("tbody", {}, rows.map(row)),
  );
}

function show(container, tally) {
  container.replaceChildren(
    h("h2", { text: "人员差评统计" }),
    h("p", { className: "period", text: `统计期：${formatTime(tally.since)} 至今` }),
    rule(tally),
    h("p", { className: "hint", text: "经核实的差评：申诉未成立，或未申诉、进入整改的差评。" }),
    tally.rows.length
      ? h("div", { className: "scroll" }, table(tally.rows))
      : h("p", { className: "hint", text: "统计期内没有经核实的差评" }),
  );
  focusHeading(container);
}

/** Load the tally of the viewer's department or region and render it into `container`. */
export async function renderTally(container) {
  const status = statusLine();
  container.replaceChildren(h("h2", { text: "人员差评统计" }), status.node);
  status.busy("正在加载…");
  try {
    const { staffTally } = await gql(TALLY);
    show(container, staffTally);
  } catch (error) {
    status.fail(error, () => renderTally(container));
  }
}
