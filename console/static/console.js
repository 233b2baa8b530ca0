// The console's page: sign-in, then the worklist (#/) or one item (#/items/<id>).
import { gql } from "./api.js";
import { releaseEvidence, renderItem } from "./item.js";
import { roleName } from "./messages.js";
import { loginEntry, signOut, staffName, staffToken, takeTokenFromUrl } from "./session.js";
import { h, statusLine } from "./ui.js";
import { renderWorklist } from "./worklist.js";

const WORKERS = ["window_staff", "dept_handler", "area_admin"];
const main = document.getElementById("main");
let chosen = { step: null, status: "OPEN", overdue: null };

function signInView() {
  const entry = loginEntry();
  main.replaceChildren(
    h("h2", { text: "工作人员登录" }),
    h("p", { text: "本工作台供窗口人员、部门差评处理人员和地区管理员办理差评工单。" }),
    entry
      ? h("a", { href: entry, className: "button primary", text: "登录" })
      : h("p", {
          className: "notice",
          role: "note",
          text: "工作人员通过统一身份认证平台登录，请从统一身份认证平台进入本工作台。",
        }),
  );
}

function route(viewer) {
  releaseEvidence();
  const match = /^#\/items\/([^/]+)$/.exec(location.hash);
  if (match) {
    renderItem(main, decodeURIComponent(match[1]), viewer);
    return;
  }
  renderWorklist(main, chosen, (next) => {
    chosen = next;
    route(viewer);
  });
}

function signedIn(viewer) {
  const name = staffName();
  document.getElementById("who").textContent = `${name ? `${name} · ` : ""}${roleName(viewer.role)}`;
  const out = document.getElementById("sign-out");
  out.hidden = false;
  out.addEventListener("click", signOut);
  window.addEventListener("hashchange", () => route(viewer));
  route(viewer);
}

async function start() {
  const status = statusLine();
  main.replaceChildren(status.node);
  status.busy("正在登录…");
  try {
    const { viewer } = await gql("{ viewer { role departmentCode regionCode } }");
    if (!viewer || !WORKERS.includes(viewer.role)) {
      main.replaceChildren(
        h("h2", { text: "无权使用本工作台" }),
        h("p", { text: "本工作台仅供窗口人员、部门差评处理人员和地区管理员使用。" }),
        h("button", { type: "button", onClick: signOut }, "退出登录"),
      );
      return;
    }
    signedIn(viewer);
  } catch (error) {
    status.fail(error, start);
  }
}

takeTokenFromUrl();
if (staffToken()) {
  start();
} else {
  signInView();
}
