// The area admin's queue of held ratings (heldRatings), oldest first as the API sorts them:
// comments with one of the policy's listed words, and ratings the burst rule held. Each is
// approved or rejected once (reviewHeldRating); a reviewed entry leaves the list.
import { gql } from "./api.js";
import { holdReasonName, messageFor } from "./messages.js";
import { focusHeading, formatTime, h, pager, statusLine } from "./ui.js";

const PAGE = 20;
const HELD = `
query($first: Int!, $after: String) {
  heldRatings(first: $first, after: $after) {
    nodes { id caseNo departmentCode levelLabel comment ratedAt reason matchedWords dueAt }
    pageInfo { hasNextPage endCursor }
  }
}`;
// The held list names departments by code only; the admin's departments give their names.
const DEPARTMENTS = `
query($after: String) {
  departments(first: 100, after: $after) {
    nodes { code name }
    pageInfo { hasNextPage endCursor }
  }
}`;
const REVIEW = `mutation($id: ID!, $approve: Boolean!) {
  reviewHeldRating(id: $id, approve: $approve) {
    __typename
    ... on HeldRatingRefused { code message }
  }
}`;

async function departmentNames() {
  const names = new Map();
  let after = null;
  do {
    const { departments } = await gql(DEPARTMENTS, { after });
    for (const department of departments.nodes) {
      names.set(department.code, department.name);
    }
    after = departments.pageInfo.hasNextPage ? departments.pageInfo.endCursor : null;
  } while (after);
  return names;
}

function escaped(word) {
  return word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The comment with each listed word it holds marked; split() with a capturing group puts
 * the words found at the odd places. */
function highlighted(comment, words) {
  if (!comment) {
    return h("span", { className: "hint", text: "未填写文字说明" });
  }
  if (!words.length) {
    return comment;
  }
  const parts = comment.split(new RegExp(`(${words.map(escaped).join("|")})`, "g"));
  return parts.map((part, index) => (index % 2 ? h("mark", { text: part }) : part));
}

function overdue(rating) {
  return Boolean(rating.dueAt) && Date.parse(rating.dueAt) < Date.now();
}

function due(rating) {
  if (!rating.dueAt) {
    return "不限";
  }
  return [
    h("span", { text: formatTime(rating.dueAt) }),
    overdue(rating) && h("span", { className: "badge overdue", text: "已超期" }),
  ];
}

function reason(rating) {
  return [
    h("span", { text: holdReasonName(rating.reason) }),
    h("div", {}, rating.matchedWords.map((word) => h("span", { className: "tag", text: word }))),
  ];
}

/** The review buttons of one entry; `onReviewed(message)` once the API took the decision. */
function review(rating, tr, onReviewed) {
  const refusal = h("p", { className: "notice error", role: "alert" });
  const approve = h("button", { type: "button", className: "primary" }, "通过");
  const reject = h("button", { type: "button" }, "不通过");
  const enable = (on) => {
    approve.disabled = !on;
    reject.disabled = !on;
  };
  async function decide(yes) {
    enable(false);
    refusal.textContent = "";
    try {
      const { reviewHeldRating: result } = await gql(REVIEW, { id: rating.id, approve: yes });
      if (result.__typename === "HeldRatingRefused") {
        refusal.textContent = result.message; // the buttons stay off: it is no longer held
        return;
      }
      tr.remove();
      onReviewed(`办件 ${rating.caseNo} 的评价审核${yes ? "通过" : "不通过"}`);
    } catch (error) {
      refusal.textContent = messageFor(error);
      enable(true);
    }
  }
  approve.addEventListener("click", () => decide(true));
  reject.addEventListener("click", () => decide(false));
  return h("div", { className: "review" }, approve, reject, refusal);
}

function row(rating, names, onReviewed) {
  const tr = h("tr", { "data-case-no": rating.caseNo, className: overdue(rating) ? "overdue" : null });
  tr.append(
    h("td", { text: rating.caseNo }),
    h("td", { text: names.get(rating.departmentCode) || rating.departmentCode }),
    h("td", { text: rating.levelLabel }),
    h("td", { className: "comment" }, highlighted(rating.comment, rating.matchedWords)),
    h("td", {}, reason(rating)),
    h("td", { text: formatTime(rating.ratedAt) }),
    h("td", {}, due(rating)),
    h("td", {}, review(rating, tr, onReviewed)),
  );
  return tr;
}

function table() {
  const heads = ["办件编号", "部门", "评价", "评价内容", "暂缓原因", "评价时间", "审核期限", "审核"];
  const body = h("tbody");
  const node = h(
    "table",
    { className: "worklist held" },
    h("caption", { className: "visually-hidden", text: "待审核评价，最早的在前" }),
    h("thead", {}, h("tr", {}, heads.map((text) => h("th", { scope: "col", text })))),
    body,
  );
  return { node, body };
}

/** Render the held ratings into `container`. */
export function renderHeld(container) {
  const status = statusLine();
  const { node, body } = table();
  const empty = h("p", { className: "hint", hidden: true, text: "没有待审核的评价" });
  let names = null;

  const reviewed = (message) => {
    status.done(message);
    empty.hidden = body.childElementCount > 0 || !more.hidden;
  };
  const { more, load } = pager({
    status,
    body,
    empty,
    fetchPage: async (after) => {
      names = names || (await departmentNames());
      return (await gql(HELD, { first: PAGE, after })).heldRatings;
    },
    toRow: (rating) => row(rating, names, reviewed),
  });

  container.replaceChildren(
    h("h2", { text: "待审核评价" }),
    h("p", {
      className: "hint",
      text:
        "含敏感词的：通过后文字评价可以公开，不通过则文字不公开（评价照常计入）；" +
        "同一设备集中评价的：通过后计入统计，不通过则不计入。",
    }),
    status.node,
    h("div", { className: "scroll" }, node),
    empty,
    more,
  );
  focusHeading(container);
  return load();
}
