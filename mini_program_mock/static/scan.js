// /w/{windowCode}: what a citizen sees after scanning a window's QR code.
import { gql } from "./api.js";
import { loadForm, renderRatingForm } from "./rating.js";
import { bearer, signIn, signInButton, signOut, takeTokenFromUrl } from "./session.js";
import { focusHeading, formatTime, h, isPast, largeTextToggle, statusLine } from "./ui.js";

const WINDOW = `query Window($code: String!) {
  windowInfo(code: $code) { code name hallName department { name } staffOnDuty }
}`;
const MY_CASES = `query Mine {
  myCases(first: 50) {
    nodes {
      caseNo status completedAt ratingStatus ratingDeadline
      matter { name } window { code }
    }
  }
}`;

const windowCode = decodeURIComponent(location.pathname.split("/")[2] || "");
const content = document.getElementById("content");
const windowCard = document.getElementById("window");

async function showWindow() {
  const status = statusLine();
  windowCard.append(status.node);
  status.busy("正在读取窗口信息…");
  try {
    const { windowInfo: info } = await gql(WINDOW, { code: windowCode }, { onSlow: status.slow });
    status.clear();
    document.title = `${info.name} - 窗口服务评价`;
    windowCard.append(
      h(
        "dl",
        { className: "facts" },
        info.hallName ? [h("dt", { text: "服务大厅" }), h("dd", { text: info.hallName })] : null,
        h("dt", { text: "窗口" }),
        h("dd", { id: "window-name", text: info.name }),
        h("dt", { text: "部门" }),
        h("dd", { id: "window-department", text: info.department.name }),
        h("dt", { text: "工作人员" }),
        h("dd", { id: "window-staff", text: info.staffOnDuty.join("、") || "—" }),
      ),
    );
    return true;
  } catch (error) {
    status.fail(error, error.code === "NOT_FOUND" ? null : () => location.reload());
    if (error.code === "NOT_FOUND") {
      status.node.replaceChildren(h("p", { text: "未找到该窗口，请核对二维码后重新扫描。" }));
    }
    return false;
  }
}

function showSignIn() {
  content.replaceChildren(
    h(
      "div",
      { className: "card" },
      h("h2", { text: "评价前请先登录" }),
      h("p", { text: "评价实行实名制。登录后可以看到您近期在本窗口办理的事项，选择一项进行评价。" }),
      signInButton(),
    ),
  );
}

function recentHere(nodes) {
  return nodes
    .filter((c) => c.window && c.window.code === windowCode && c.completedAt)
    .filter((c) => c.ratingStatus !== "EXPIRED" && !(c.ratingDeadline && isPast(c.ratingDeadline)))
    .sort((a, b) => Date.parse(b.completedAt) - Date.parse(a.completedAt));
}

async function showCases() {
  const status = statusLine();
  content.replaceChildren(h("h2", { text: "您在本窗口办理的事项" }), status.node);
  status.busy("正在读取您的办件…");
  let nodes;
  try {
    ({ myCases: { nodes } } = await gql(MY_CASES, {}, { authorization: bearer(), onSlow: status.slow }));
  } catch (error) {
    if (error.code === "UNAUTHENTICATED") {
      status.fail(error, signIn);
      return;
    }
    status.fail(error, showCases);
    return;
  }
  status.clear();
  const cases = recentHere(nodes);
  if (!cases.length) {
    content.append(
      h("p", { className: "notice", text: "近期没有您在本窗口办结、可以评价的事项。" }),
      h("a", { className: "button", href: "/m/" }, "查看我的全部办件"),
    );
    return;
  }
  content.append(
    h("p", { className: "hint", text: "请选择要评价的事项：" }),
    h(
      "ul",
      { className: "plain", id: "cases" },
      cases.map((c) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", className: "case", onClick: () => showForm(c) },
            h("strong", { text: c.matter.name }),
            h("span", { className: "meta", text: `办件编号：${c.caseNo}` }),
            h("span", { className: "meta", text: `办结时间：${formatTime(c.completedAt)}` }),
            c.ratingStatus === "UNRATED"
              ? h("span", { className: "badge to-rate", text: "待评价" })
              : h("span", { className: "badge rated", text: "已评价" }),
          ),
        ),
      ),
    ),
  );
}

async function showForm(item) {
  const status = statusLine();
  const holder = h("div");
  content.replaceChildren(
    h("h2", { text: `评价：${item.matter.name}` }),
    h("p", { className: "meta", text: `办件编号：${item.caseNo}` }),
    status.node,
    holder,
    h("button", { type: "button", onClick: showCases }, "返回事项列表"),
  );
  focusHeading(content);
  status.busy("正在读取评价表…");
  try {
    const form = await loadForm(item.caseNo, "QR", bearer(), status.slow);
    status.clear();
    renderRatingForm(holder, form, {
      channel: "QR",
      authorization: bearer(),
      onAccepted: (level, note) => showThanks(item, level, note),
    });
  } catch (error) {
    status.fail(error, () => showForm(item));
  }
}

function showThanks(item, level, note) {
  content.replaceChildren(
    h(
      "div",
      { className: "card" },
      h("h2", { text: note ? "评价已收到" : "评价成功" }),
      h("p", { className: "notice ok", role: "status", text: note || `感谢您的评价！您对“${item.matter.name}”的评价是：${level.label}。` }),
      h("button", { type: "button", onClick: showCases }, "评价其他事项"),
      " ",
      h("a", { className: "button", href: "/m/" }, "我的办件"),
    ),
  );
  focusHeading(content);
}

async function main() {
  takeTokenFromUrl();
  const tools = document.getElementById("tools");
  tools.append(largeTextToggle());
  if (!(await showWindow())) {
    return;
  }
  if (!bearer()) {
    showSignIn();
    return;
  }
  tools.append(" ", h("button", { type: "button", onClick: signOut }, "退出"));
  await showCases();
}

main();
