// /m/: the mini-program's "my cases": status of each case, late rating, a rating's history.
import { gql } from "./api.js";
import { loadForm, renderRatingForm } from "./rating.js";
import { bearer, signIn, signInButton, signOut, takeTokenFromUrl } from "./session.js";
import { focusHeading, formatTime, h, isPast, largeTextToggle, statusLine } from "./ui.js";

const CASE_FIELDS = `caseNo status completedAt acceptedAt ratingStatus ratingDeadline followUpAwaited
  matter { name } department { name } window { code name }
  effectiveRating { level }`;
const MY_CASES = `query Mine { myCases(first: 50) { totalCount nodes { ${CASE_FIELDS} } } }`;
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

const content = document.getElementById("content");
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

function statusOf(c) {
  if (c.status !== "COMPLETED") {
    return { text: "办理中", kind: "closed" };
  }
  if (c.followUpAwaited) {
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
      if (c.ratingDeadline && isPast(c.ratingDeadline)) {
        return { text: "已超过评价期限", kind: "closed" };
      }
      return {
        text: c.ratingDeadline ? `待评价 · ${formatTime(c.ratingDeadline)}前` : "待评价",
        kind: "to-rate",
      };
  }
}

function showSignIn() {
  content.replaceChildren(
    h(
      "div",
      { className: "card" },
      h("h2", { text: "请先登录" }),
      h("p", { text: "登录后可以查看您办理的事项，并在规定期限内补充评价。" }),
      signInButton(),
    ),
  );
}

async function showList() {
  const status = statusLine();
  content.replaceChildren(h("h2", { text: "全部办件" }), status.node);
  status.busy("正在读取您的办件…");
  let page;
  try {
    ({ myCases: page } = await gql(MY_CASES, {}, { authorization: bearer(), onSlow: status.slow }));
  } catch (error) {
    status.fail(error, error.code === "UNAUTHENTICATED" ? signIn : showList);
    return;
  }
  await learnWording(page.nodes);
  status.clear();
  if (!page.nodes.length) {
    content.append(h("p", { className: "notice", text: "您还没有办件记录。" }));
    return;
  }
  content.append(
    h("p", { className: "hint", text: `共 ${page.totalCount} 件，点选一件查看详情或评价。` }),
    h(
      "ul",
      { className: "plain", id: "cases" },
      page.nodes.map((c) => {
        const state = statusOf(c);
        return h(
          "li",
          {},
          h(
            "button",
            { type: "button", className: "case", "data-case-no": c.caseNo, onClick: () => showCase(c.caseNo) },
            h("strong", { text: c.matter.name }),
            h("span", { className: "meta", text: `办件编号：${c.caseNo}` }),
            h("span", {
              className: "meta",
              text: c.completedAt ? `办结时间：${formatTime(c.completedAt)}` : `受理时间：${formatTime(c.acceptedAt)}`,
            }),
            h("span", { className: `badge ${state.kind}`, text: state.text }),
          ),
        );
      }),
    ),
  );
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

async function showCase(caseNo, notice) {
  const status = statusLine();
  content.replaceChildren(
    h("button", { type: "button", onClick: showList }, "‹ 返回我的办件"),
    h("h2", { text: "办件详情" }),
    status.node,
  );
  focusHeading(content);
  status.busy("正在读取办件详情…");
  let item;
  try {
    ({ case: item } = await gql(ONE_CASE, { caseNo }, { authorization: bearer(), onSlow: status.slow }));
  } catch (error) {
    status.fail(error, () => showCase(caseNo));
    return;
  }
  status.clear();
  const state = statusOf(item);
  const formHolder = h("div", { id: "rate" });
  if (notice) {
    content.append(h("p", { className: "notice ok", role: "status", text: notice }));
  }
  content.append(
    h(
      "div",
      { className: "card" },
      h(
        "dl",
        { className: "facts" },
        h("dt", { text: "事项" }),
        h("dd", { text: item.matter.name }),
        h("dt", { text: "办件编号" }),
        h("dd", { text: item.caseNo }),
        h("dt", { text: "办理部门" }),
        h("dd", { text: item.department.name }),
        item.window ? [h("dt", { text: "窗口" }), h("dd", { text: item.window.name })] : null,
        item.completedAt ? [h("dt", { text: "办结时间" }), h("dd", { text: formatTime(item.completedAt) })] : null,
        item.ratingDeadline
          ? [h("dt", { text: "评价截止" }), h("dd", { text: formatTime(item.ratingDeadline) })]
          : null,
        h("dt", { text: "评价状态" }),
        h("dd", {}, h("span", { className: `badge ${state.kind}`, text: state.text })),
      ),
    ),
    h("h2", { text: "评价记录" }),
    history(item.ratings),
    formHolder,
  );
  if (item.followUpAwaited) {
    // 追评: the unit reported its fix of this case's bad rating and asks the rater about it.
    formHolder.append(
      h("p", { className: "notice", text: "办理单位已对您反映的问题进行整改，请对整改结果作出评价。" }),
    );
  }
  if (item.status === "COMPLETED" && (item.ratingStatus !== "EXPIRED" || item.followUpAwaited)) {
    const label = item.followUpAwaited ? "评价整改结果" : item.ratings.length ? "再次评价" : "去评价";
    formHolder.append(
      h(
        "button",
        { type: "button", className: "primary wide", onClick: () => showForm(item, formHolder) },
        label,
      ),
    );
  }
}

async function showForm(item, holder) {
  const status = statusLine();
  const slot = h("div");
  holder.replaceChildren(h("h2", { text: "补充评价" }), status.node, slot);
  focusHeading(holder);
  status.busy("正在读取评价表…");
  try {
    const form = await loadForm(item.caseNo, "APP", bearer(), status.slow);
    learn(form);
    status.clear();
    renderRatingForm(slot, form, {
      channel: "APP",
      authorization: bearer(),
      onAccepted: (level, note) =>
        showCase(item.caseNo, note || `评价成功，感谢您的评价！（${level.label}）`),
    });
  } catch (error) {
    status.fail(error, () => showForm(item, holder));
  }
}

async function main() {
  takeTokenFromUrl();
  const tools = document.getElementById("tools");
  tools.append(largeTextToggle());
  if (!bearer()) {
    showSignIn();
    return;
  }
  tools.append(" ", h("button", { type: "button", onClick: signOut }, "退出"));
  await showList();
}

main();
