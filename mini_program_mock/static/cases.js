// /m/: the mini-program's "my cases": tabs (to rate, rated, all) with counts, paging, each
// case's status and whether it can be rated now (the API's canRate: the answer submitRating
// would give), late rating, a rating's history. /m/?case=NO (the SMS link) opens that case.
import { gql } from "./api.js";
import { messageFor } from "./messages.js";
import { loadForm, outcomeLines, renderRatingForm } from "./rating.js";
import { bearer, signIn, signInButton, signOut, takeTokenFromUrl } from "./session.js";
import { focusHeading, formatTime, h, largeTextToggle, statusLine, token } from "./ui.js";

const PAGE_SIZE = 20;
const CASE_FIELDS = `caseNo status completedAt acceptedAt ratingStatus ratingDeadline followUpAwaited
  canRate cannotRateCode defaultDueAt batchNo integratedService { name }
  matter { name } department { name } window { code name }
  effectiveRating { level }`;
const MY_CASES = `query Mine($tab: MyCasesTab!, $first: Int!, $after: String) {
  myCases(tab: $tab, first: $first, after: $after) {
    totalCount counts { toRate rated all }
    nodes { ${CASE_FIELDS} }
    pageInfo { hasNextPage endCursor }
  }
}`;
const ONE_CASE = `query One($caseNo: String!) {
  case(caseNo: $caseNo) {
    ${CASE_FIELDS}
    ratings { id level category tags comment channel ratedAt effective }
  }
}`;
const CHANNELS = {
  PAD: "评价器", QR: "窗口二维码", KIOSK: "自助终端", SMS: "短信", WEB: "网上办事大厅",
  APP: "移动端", HOTLINE: "热线电话", PAPER: "纸质评价表", DEFAULT: "默认评价",
};
const TABS = [
  { tab: "TO_RATE", label: "待评价", count: "toRate" },
  { tab: "RATED", label: "已评价", count: "rated" },
  { tab: "ALL", label: "全部", count: "all" },
];

const content = document.getElementById("content");
const view = { tab: "TO_RATE" };
// Level labels and tag labels as the active policy words them, learnt from a rating form.
const wording = { levels: new Map(), tags: new Map() };

function learn(form) {
  for (const level of form.levels) {
    wording.levels.set(level.level, level.label);
    for (const tag of level.tags) {
      wording.tags.set(tag.code, tag.label);
    }
  }
}

async function learnWording(cases) {
  const sample = cases.find((c) => c.completedAt);
  if (!sample || wording.levels.size) {
    return;
  }
  try {
    learn(await loadForm(sample.caseNo, "APP", bearer()));
  } catch {
    // Labels are a nicety here; the list still shows levels by number.
  }
}

const levelText = (level) => wording.levels.get(level) || `${level}级`;

/** Why the case cannot be rated now, in plain words (from the API's code). A default
 * rating stands whichever rule the policy checks first (its window, or its history). */
function whyNot(c) {
  if (c.canRate || !c.cannotRateCode) {
    return null;
  }
  if (c.ratingStatus === "DEFAULTED") {
    return "默认评价不可更改";
  }
  switch (c.cannotRateCode) {
    case "RATING_WINDOW_CLOSED":
      return c.ratingDeadline ? `评价期限已过（截止${formatTime(c.ratingDeadline)}）` : "评价期限已过";
    case "ALREADY_RATED":
      // An unrated case whose default fell due counts as rated by default (the sweep may
      // not have written it yet).
      return c.ratingStatus === "UNRATED" ? "默认评价不可更改" : "已评价，按规定不可再次评价";
    default:
      return messageFor(c.cannotRateCode);
  }
}

function statusOf(c) {
  if (c.status !== "COMPLETED") {
    return { text: "办理中", kind: "closed" };
  }
  if (c.followUpAwaited && c.canRate) {
    return { text: "请评价整改结果", kind: "to-rate" };
  }
  const rated = c.effectiveRating ? levelText(c.effectiveRating.level) : "";
  switch (c.ratingStatus) {
    case "RATED":
      return { text: `已评价：${rated}`, kind: "rated" };
    case "DEFAULTED":
      return { text: `默认评价：${rated}`, kind: "rated" };
    case "EXPIRED":
      return { text: "已过期未评价", kind: "closed" };
    default:
      if (!c.canRate) {
        return { text: c.cannotRateCode === "ALREADY_RATED" ? "已默认评价" : "已超过评价期限", kind: "closed" };
      }
      return {
        text: c.ratingDeadline ? `待评价 · ${formatTime(c.ratingDeadline)}前` : "待评价",
        kind: "to-rate",
      };
  }
}

function showSignIn(caseNo) {
  content.replaceChildren(
    h(
      "div",
      { className: "card" },
      h("h2", { text: "请先登录" }),
      h("p", {
        text: caseNo
          ? `登录后即可查看并评价办件 ${caseNo}。`
          : "登录后可以查看您办理的事项，并在规定期限内补充评价。",
      }),
      signInButton(),
    ),
  );
}

/** The ?case= of the address (the SMS link), or null. */
function linkedCase() {
  const found = new URLSearchParams(location.search).get("case");
  return found && found.trim() ? found.trim() : null;
}

function forgetLinkedCase() {
  if (linkedCase()) {
    history.replaceState(null, "", location.pathname);
  }
}

function tabList(counts, onPick) {
  const buttons = TABS.map((t) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${t.tab}`,
        "aria-selected": t.tab === view.tab ? "true" : "false",
        "aria-controls": "cases-panel",
        tabindex: t.tab === view.tab ? "0" : "-1",
        "data-tab": t.tab,
        onClick: () => onPick(t.tab),
      },
      `${t.label} `,
      h("span", { className: "count", text: counts ? counts[t.count] : 0 }),
    ),
  );
  const list = h("div", { className: "tabs", role: "tablist", "aria-label": "办件分类" }, buttons);
  // Arrow keys move between the tabs (the WAI-ARIA tabs pattern), Home/End to the ends.
  list.addEventListener("keydown", (event) => {
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) {
      return;
    }
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (to === undefined) {
      return;
    }
    event.preventDefault();
    const next = buttons[(to + buttons.length) % buttons.length];
    next.focus();
    onPick(next.dataset.tab, true);
  });
  return list;
}

function caseItem(c) {
  const state = statusOf(c);
  const reason = whyNot(c);
  return h(
    "li",
    {},
    h(
      "button",
      { type: "button", className: "case", "data-case-no": c.caseNo, onClick: () => showCase(c.caseNo) },
      h("strong", { text: c.matter.name }),
      h("span", { className: "meta" }, "办件编号：", token(c.caseNo)),
      c.completedAt
        ? h("span", { className: "meta" }, "办结时间：", token(formatTime(c.completedAt)))
        : h("span", { className: "meta" }, "受理时间：", token(formatTime(c.acceptedAt))),
      c.ratingStatus === "DEFAULTED" && c.defaultDueAt
        ? h("span", { className: "meta" }, "默认评价生效：", token(formatTime(c.defaultDueAt)))
        : null,
      h("span", { className: `badge ${state.kind}`, text: state.text }),
      reason && state.kind !== "closed" ? h("span", { className: "meta why", text: reason }) : null,
    ),
  );
}

async function showList(focusTab) {
  forgetLinkedCase();
  const status = statusLine();
  const panel = h("div", { id: "cases-panel", role: "tabpanel", "aria-labelledby": `tab-${view.tab}` });
  content.replaceChildren(h("h2", { text: "我的办件" }), status.node);
  status.busy("正在读取您的办件…");
  let page;
  try {
    page = await loadPage(null, status);
  } catch (error) {
    status.fail(error, error.code === "UNAUTHENTICATED" ? signIn : () => showList());
    return;
  }
  await learnWording(page.nodes);
  status.clear();
  const pick = (tab, keepFocus) => {
    view.tab = tab;
    showList(keepFocus);
  };
  content.append(tabList(page.counts, pick), panel);
  if (focusTab) {
    content.querySelector('[role="tab"][aria-selected="true"]').focus();
  }
  if (!page.nodes.length) {
    const empty = { TO_RATE: "目前没有待评价的办件。", RATED: "还没有已评价的办件。", ALL: "您还没有办件记录。" };
    const none = !page.counts || !page.counts.all;
    panel.append(h("p", { className: "notice", text: none ? empty.ALL : empty[view.tab] }));
    return;
  }
  const list = h("ul", { className: "plain", id: "cases" }, page.nodes.map(caseItem));
  const more = h("div");
  panel.append(h("p", { className: "hint", text: `共 ${page.totalCount} 件，点选一件查看详情或评价。` }), list, more);
  showMore(more, list, page.pageInfo);
}

async function loadPage(after, status) {
  const variables = { tab: view.tab, first: PAGE_SIZE, after };
  const data = await gql(MY_CASES, variables, { authorization: bearer(), onSlow: status.slow });
  return data.myCases;
}

/** 加载更多 until the last page; the next page's cases join the list. */
function showMore(holder, list, pageInfo) {
  if (!pageInfo.hasNextPage) {
    holder.replaceChildren(h("p", { className: "hint", text: "已显示全部办件。" }));
    return;
  }
  const status = statusLine();
  const button = h("button", { type: "button", className: "more" }, "加载更多");
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.busy("正在读取更多办件…");
    try {
      const page = await loadPage(pageInfo.endCursor, status);
      status.clear();
      const first = list.children.length;
      list.append(...page.nodes.map(caseItem));
      const landed = list.children[first] && list.children[first].querySelector("button");
      showMore(holder, list, page.pageInfo);
      if (landed) {
        landed.focus();
      }
    } catch (error) {
      button.disabled = false;
      status.fail(error);
    }
  });
  holder.replaceChildren(status.node, button);
}

function history(ratings) {
  if (!ratings.length) {
    return h("p", { className: "hint", text: "还没有评价记录。" });
  }
  return h(
    "ol",
    { className: "plain history", id: "history" },
    [...ratings].reverse().map((r) =>
      h(
        "li",
        {},
        h("strong", { text: `${levelText(r.level)}${r.effective ? "（当前有效）" : ""}` }),
        h("span", { className: "meta", text: `${formatTime(r.ratedAt)} · ${CHANNELS[r.channel] || r.channel}` }),
        r.tags.length
          ? h("span", { className: "meta", text: `原因：${r.tags.map((t) => wording.tags.get(t) || t).join("、")}` })
          : null,
        r.comment ? h("p", { className: "comment", text: r.comment }) : null,
      ),
    ),
  );
}

function facts(item, state) {
  const pairs = [
    ["事项", item.matter.name],
    ["办件编号", token(item.caseNo)],
    ["办理部门", item.department.name],
    item.window ? ["窗口", item.window.name] : null,
    item.batchNo ? ["批量业务", item.batchNo] : null,
    item.integratedService ? ["一件事", item.integratedService.name] : null,
    item.completedAt ? ["办结时间", token(formatTime(item.completedAt))] : null,
    item.ratingDeadline ? ["评价截止", token(formatTime(item.ratingDeadline))] : null,
    item.ratingStatus === "DEFAULTED" && item.defaultDueAt
      ? ["默认评价", `${formatTime(item.defaultDueAt)}起按规定自动记为“${levelText(item.effectiveRating ? item.effectiveRating.level : 0)}”`]
      : null,
  ].filter(Boolean);
  return h(
    "dl",
    { className: "facts" },
    pairs.flatMap(([term, value]) => [h("dt", { text: term }), h("dd", {}, value)]),
    h("dt", { text: "评价状态" }),
    h("dd", {}, h("span", { className: `badge ${state.kind}`, text: state.text })),
  );
}

async function showCase(caseNo, thanks) {
  const status = statusLine();
  content.replaceChildren(
    h("button", { type: "button", onClick: () => showList() }, "‹ 返回我的办件"),
    h("h2", { text: "办件详情" }),
    status.node,
  );
  focusHeading(content);
  status.busy("正在读取办件详情…");
  let item;
  try {
    ({ case: item } = await gql(ONE_CASE, { caseNo }, { authorization: bearer(), onSlow: status.slow }));
  } catch (error) {
    status.fail(error, error.code === "UNAUTHENTICATED" ? signIn : () => showCase(caseNo));
    return;
  }
  status.clear();
  const formHolder = h("div", { id: "rate" });
  if (thanks) {
    content.append(
      h(
        "div",
        { className: "notice ok thanks", role: "status" },
        thanks.map((line) => h("p", { text: line })),
      ),
    );
  }
  content.append(
    h("div", { className: "card" }, facts(item, statusOf(item))),
    h("h2", { text: "评价记录" }),
    history(item.ratings),
    formHolder,
  );
  if (item.followUpAwaited && item.canRate) {
    // 追评: the unit reported its fix of this case's bad rating and asks the rater about it.
    formHolder.append(
      h("p", { className: "notice", text: "办理单位已对您反映的问题进行整改，请对整改结果作出评价。" }),
    );
  }
  if (item.canRate) {
    const label = item.followUpAwaited ? "评价整改结果" : item.ratings.length ? "再次评价" : "去评价";
    formHolder.append(
      h(
        "button",
        { type: "button", className: "primary wide", onClick: () => showForm(item, formHolder) },
        label,
      ),
    );
  } else if (item.status === "COMPLETED") {
    formHolder.append(h("p", { className: "why-not", id: "why-not", text: whyNot(item) }));
  }
}

function thanksFor(item, level, note, outcome) {
  return [note || `评价成功，感谢您的评价！（${level.label}）`, ...outcomeLines(outcome)];
}

async function showForm(item, holder) {
  const status = statusLine();
  const slot = h("div");
  holder.replaceChildren(h("h2", { text: item.followUpAwaited ? "评价整改结果" : "补充评价" }), status.node, slot);
  focusHeading(holder);
  status.busy("正在读取评价表…");
  try {
    const form = await loadForm(item.caseNo, "APP", bearer(), status.slow);
    learn(form);
    status.clear();
    renderRatingForm(slot, form, {
      channel: "APP",
      authorization: bearer(),
      onAccepted: (level, note, outcome) => showCase(item.caseNo, thanksFor(item, level, note, outcome)),
    });
  } catch (error) {
    status.fail(error, () => showForm(item, holder));
  }
}

async function main() {
  takeTokenFromUrl();
  const tools = document.getElementById("tools");
  tools.append(largeTextToggle());
  const linked = linkedCase();
  if (!bearer()) {
    // The sign-in comes back to this address, ?case= and all (session.js signInUrl).
    showSignIn(linked);
    return;
  }
  tools.append(" ", h("button", { type: "button", onClick: signOut }, "退出"));
  if (linked) {
    await showCase(linked);
    return;
  }
  await showList();
}

main();
