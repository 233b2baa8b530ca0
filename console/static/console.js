// The console's pages: sign-in, then the worklist (/console/#/) or one item
// (/console/#/items/<id>), and for the roles they serve the held ratings (#/held), the staff
// tally (#/tally), the exports (#/exports) and the dashboard (/console/stats, a page of its
// own: the same shell, served at that path), for window staff and handlers the pairing of
// their windows' evaluator pads (/console/pads, likewise); for policy staff only the rules
// workbench (/console/rules, the same shell again): the worklists are not theirs.
import { gql } from "./api.js";
import { renderExports } from "./exports.js";
import { renderHeld } from "./held.js";
import { releaseEvidence, renderItem } from "./item.js";
import { roleName } from "./messages.js";
import { renderPads } from "./pads.js";
import { renderRules } from "./rules.js";
import { loginEntry, signOut, staffName, staffToken, takeTokenFromUrl } from "./session.js";
import { releaseCharts } from "./charts.js";
import { renderStats } from "./stats.js";
import { renderTally } from "./tally.js";
import { focusHeading, h, statusLine } from "./ui.js";
import { renderWorklist } from "./worklist.js";

const WORKERS = ["window_staff", "dept_handler", "area_admin"];
const POLICY = "policy_staff";
const HOME = "/console/";
const STATS = "/console/stats";
const RULES = "/console/rules";
const PADS = "/console/pads";
const PAGES = [STATS, RULES, PADS]; // the sections at a path of their own
// The console's sections and who may open them; the API refuses the others anyway. Window
// staff see their own figures on the dashboard.
const SECTIONS = Object.freeze([
  { href: HOME, label: "差评工单", roles: WORKERS },
  { href: `${HOME}#/held`, label: "待审核评价", roles: ["area_admin"], render: renderHeld },
  {
    href: `${HOME}#/tally`,
    label: "人员差评统计",
    roles: ["dept_handler", "area_admin"],
    render: renderTally,
  },
  {
    href: `${HOME}#/exports`,
    label: "数据导出",
    roles: ["dept_handler", "area_admin"],
    render: renderExports,
  },
  { href: STATS, label: "统计分析", roles: WORKERS, render: renderStats },
  { href: PADS, label: "评价器配对", roles: ["window_staff", "dept_handler"], render: renderPads },
  { href: RULES, label: "规则工作台", roles: [POLICY], render: renderRules },
]);
const main = document.getElementById("main");
let chosen = { step: null, status: "OPEN", overdue: null };

function signInView() {
  const entry = loginEntry();
  main.replaceChildren(
    h("h2", { text: "工作人员登录" }),
    h("p", {
      text: "本工作台供窗口人员、部门差评处理人员和地区管理员办理差评工单，供政策工作人员维护评价规则。",
    }),
    entry
      ? h("a", { href: entry, className: "button primary", text: "登录" })
      : h("p", {
          className: "notice",
          role: "note",
          text: "工作人员通过统一身份认证平台登录，请从统一身份认证平台进入本工作台。",
        }),
  );
}

/** The navigation between the viewer's sections; none when the worklist is all they have. */
function navigation(sections, current) {
  const nav = document.getElementById("nav");
  nav.hidden = sections.length < 2 && sections[0].href === HOME;
  nav.replaceChildren(
    h(
      "ul",
      {},
      sections.map((section) =>
        h(
          "li",
          {},
          h("a", {
            href: section.href,
            text: section.label,
            "aria-current": section === current ? "page" : null,
          }),
        ),
      ),
    ),
  );
}

/** The section at this address: the dashboard and the workbench by their path, the others
 * by the fragment. */
function located(sections) {
  const here = PAGES.includes(location.pathname) ? location.pathname : `${HOME}${location.hash}`;
  return sections.find((section) => section.href === here);
}

/** A page of the console the viewer's role may not open (the API would refuse it anyway). */
function refused(sections) {
  navigation(sections, null);
  main.replaceChildren(
    h("h2", { text: "无权使用规则工作台" }),
    h("p", { text: "规则工作台仅供政策工作人员使用。" }),
    h("a", { href: HOME, className: "button", text: "返回差评工单" }),
  );
  focusHeading(main);
}

function route(viewer) {
  releaseEvidence();
  releaseCharts();
  const sections = SECTIONS.filter((section) => section.roles.includes(viewer.role));
  if (location.pathname === RULES && viewer.role !== POLICY) {
    refused(sections);
    return;
  }
  // An item belongs to the worklist; an unknown or forbidden address shows the worklist.
  const current = located(sections) || sections[0];
  navigation(sections, current);
  const match = PAGES.includes(location.pathname)
    ? null
    : /^#\/items\/([^/]+)$/.exec(location.hash);
  if (match) {
    renderItem(main, decodeURIComponent(match[1]), viewer);
    return;
  }
  if (current.render) {
    current.render(main, viewer);
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
  // A page of its own ignores the fragment (the skip link sets one): re-rendering the rules
  // workbench would throw away the draft.
  window.addEventListener("hashchange", () => {
    if (!PAGES.includes(location.pathname)) {
      route(viewer);
    }
  });
  route(viewer);
}

async function start() {
  const status = statusLine();
  main.replaceChildren(status.node);
  status.busy("正在登录…");
  try {
    const { viewer } = await gql("{ viewer { role departmentCode regionCode } }");
    if (viewer && viewer.role === POLICY && location.pathname !== RULES) {
      location.replace(RULES); // the workbench is all the console has for policy staff
      return;
    }
    if (!viewer || ![...WORKERS, POLICY].includes(viewer.role)) {
      main.replaceChildren(
        h("h2", { text: "无权使用本工作台" }),
        h("p", {
          text: "本工作台仅供窗口人员、部门差评处理人员、地区管理员和政策工作人员使用。",
        }),
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
