// One work item: its details, the rating's comment, the action its step asks for, and its
// timeline with the evidence each entry cites.
import { actionPanel } from "./actions.js";
import { evidenceFile, gql } from "./api.js";
import { ITEM } from "./queries.js";
import { actionName, closeReasonName, outcomeName, roleName, stepName } from "./messages.js";
import { focusHeading, formatTime, h, statusLine } from "./ui.js";

// The blob URLs of the evidence shown, released when the view changes.
const shownFiles = new Set();

export function releaseEvidence() {
  for (const url of shownFiles) {
    URL.revokeObjectURL(url);
  }
  shownFiles.clear();
}

/** A placeholder, replaced by the image or a link to the PDF once fetched with the token. */
function evidence(id, ordinal) {
  const label = `佐证材料 ${ordinal}`;
  const slot = h("span", { className: "evidence", text: `${label}（加载中…）` });
  evidenceFile(id).then(
    (blob) => {
      const url = URL.createObjectURL(blob);
      shownFiles.add(url);
      const shown = blob.type.startsWith("image/")
        ? h("img", { src: url, alt: label })
        : h("a", { href: url, target: "_blank", rel: "noopener", download: `${label}.pdf` }, `${label}（PDF）`);
      slot.replaceChildren(shown);
    },
    () => slot.replaceChildren(`${label}（无法加载）`),
  );
  return slot;
}

function entry(event) {
  const what = [actionName(event.action), event.outcome && outcomeName(event.outcome)];
  return h(
    "li",
    { "data-action": event.action },
    h(
      "p",
      { className: "when" },
      h("time", { text: formatTime(event.at) }),
      ` ${roleName(event.actorRole)}`,
      event.step && h("span", { className: "tag", text: stepName(event.step) }),
    ),
    h("p", { className: "what", text: what.filter(Boolean).join("：") }),
    event.note && h("p", { className: "note", text: event.note }),
    event.evidenceIds.length > 0 &&
      h("div", { className: "files" }, event.evidenceIds.map((id, i) => evidence(id, i + 1))),
  );
}

function row(term, ...value) {
  return [h("dt", { text: term }), h("dd", {}, ...value)];
}

function state(item) {
  if (item.status === "CLOSED") {
    const when = item.closedAt ? `，${formatTime(item.closedAt)}` : "";
    return h("span", { className: "badge closed", text: `已办结（${closeReasonName(item.closeReason)}${when}）` });
  }
  return [
    h("span", { text: "办理中 " }),
    item.overdue && h("span", { className: "badge overdue", text: "已超期" }),
    item.escalated && h("span", { className: "badge escalated", text: "已督办" }),
  ];
}

function details(item) {
  return h(
    "dl",
    { className: "details" },
    row("事项", item.matterName),
    row("部门", item.department.name),
    row("被评价人员", item.ratedStaff ? item.ratedStaff.name : "未记录"),
    row("评价", `${item.levelLabel}（${formatTime(item.ratedAt)}）`),
    row("差评原因", ...item.tagLabels.map((label) => h("span", { className: "tag", text: label }))),
    row("当前环节", item.stepTitle || "—"),
    row("办理期限", item.dueAt ? formatTime(item.dueAt) : "不限"),
    row("状态", state(item)),
    row("生成时间", formatTime(item.openedAt)),
  );
}

function show(container, item, viewer, notice) {
  releaseEvidence();
  const status = statusLine();
  const rerender = (next, message) => {
    show(container, next, viewer, message);
  };
  container.replaceChildren(
    h("p", {}, h("a", { href: "#/", className: "back", text: "‹ 返回工单列表" })),
    h("h2", { text: `差评工单 ${item.caseNo}` }),
    status.node,
    details(item),
    h(
      "section",
      { className: "card", "aria-labelledby": "comment-title" },
      h("h3", { id: "comment-title", text: "评价内容" }),
      h("p", { className: "comment", text: item.comment || "评价人未填写文字说明" }),
    ),
    actionPanel(item, viewer, rerender),
    h(
      "section",
      { className: "card", "aria-labelledby": "timeline-title" },
      h("h3", { id: "timeline-title", text: "处理记录" }),
      h("ol", { className: "timeline" }, item.timeline.map(entry)),
    ),
  );
  if (notice) {
    status.done(notice);
  }
  focusHeading(container);
}

/** Load the item `id` and render it into `container` for `viewer`. */
export async function renderItem(container, id, viewer) {
  const status = statusLine();
  container.replaceChildren(status.node);
  status.busy("正在加载…");
  try {
    const { workItem } = await gql(ITEM, { id });
    if (!workItem) {
      container.replaceChildren(
        h("p", {}, h("a", { href: "#/", className: "back", text: "‹ 返回工单列表" })),
        h("h2", { text: "没有找到这件差评工单" }),
        h("p", { className: "hint", text: "工单不存在，或不在您的办理范围内" }),
      );
      return;
    }
    show(container, workItem, viewer, null);
  } catch (error) {
    status.fail(error, () => renderItem(container, id, viewer));
  }
}
