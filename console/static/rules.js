// 规则工作台 (/console/rules), for policy staff: the active policy (activeRules) in an editor
// checked as one types (checkRules: its problems by line, and what the draft changes), the
// scenarios run against the draft, a sample case tried, a period replayed under the draft
// (what-if), then 发布 through the gate, and the versions with their differences and
// rollback. Nothing but 发布 and 回滚 changes what the system does.
import { gql } from "./api.js";
import { changeList, codeEditor, problemList } from "./rules-editor.js";
import { scenariosPart, trialPart, whatIfPart } from "./rules-trial.js";
import { publishPart, versionsPart } from "./rules-versions.js";
import { changeKindName } from "./rules-words.js";
import { focusHeading, h, statusLine } from "./ui.js";

const CHECK_AFTER_MS = 400; // typing pauses this long before the draft is checked
const ACTIVE = "query { activeRules { id version yaml scenarios } }";
const CHECK = `query($y: String!) {
  checkRules(yaml: $y) {
    ok version
    problems { line column message warning }
    changes { section ruleId kind summary details }
  }
}`;

function verdict(check) {
  const warnings = check.problems.filter((p) => p.warning).length;
  if (check.ok) {
    return warnings ? `无问题，可以发布（另有 ${warnings} 条提醒，建议看一下）` : "无问题，可以发布";
  }
  return `${check.problems.length} 个问题`;
}

/** The editor's card: the draft, its problems under it, and what it changes. */
function editorPart(draft, active) {
  const status = h("p", { className: "check-status", role: "status", "aria-live": "polite" });
  const problems = h("div", { className: "problems-box" });
  const changes = h("div", { className: "changes-box" });
  let asked = 0;
  let timer = null;

  function show(check) {
    status.textContent = verdict(check);
    status.className = `check-status ${check.ok ? "good" : "bad"}`;
    draft.mark(check.problems);
    problems.replaceChildren(
      ...(check.problems.length ? [problemList(check.problems, draft.selectLine)] : []),
    );
    changes.replaceChildren(
      h("h4", { text: "本次改动" }),
      !check.ok
        ? h("p", { className: "hint", text: "规则改正后再列出改动" })
        : check.changes.length
          ? changeList(check.changes, changeKindName)
          : h("p", { className: "hint", text: "与现行规则相同，没有改动" }),
    );
  }

  async function check() {
    clearTimeout(timer);
    asked += 1;
    const mine = asked;
    try {
      const { checkRules } = await gql(CHECK, { y: draft.text.value });
      if (mine === asked) {
        show(checkRules);
      }
    } catch (error) {
      if (mine === asked) {
        status.className = "check-status bad";
        status.textContent = "暂时无法检查，请稍后再改一下或刷新页面";
      }
    }
  }

  draft.text.addEventListener("input", () => {
    clearTimeout(timer);
    if (status.className !== "check-status") {
      status.className = "check-status"; // the verdict was the text before this change
      status.textContent = "正在检查…";
    }
    timer = setTimeout(check, CHECK_AFTER_MS);
  });
  const node = h(
    "section",
    { className: "card rules-section", id: "rules-editor", "aria-labelledby": "rules-editor-title" },
    h("h3", { id: "rules-editor-title", text: "编辑规则" }),
    active,
    draft.node,
    status,
    problems,
    changes,
  );
  return { node, check };
}

/** The workbench for policy staff into `container`. */
export async function renderRules(container) {
  const status = statusLine();
  container.replaceChildren(h("h2", { text: "规则工作台" }), status.node);
  focusHeading(container);
  status.busy("正在载入现行规则…");
  const draft = codeEditor({ id: "rules-yaml", label: "规则（rules.yaml）" });
  const scenarios = codeEditor({ id: "rules-scenarios-yaml", label: "场景（YAML）", rows: 16 });
  const active = h("p", { className: "meta" });
  const editor = editorPart(draft, active);

  async function load() {
    const { activeRules } = await gql(ACTIVE);
    active.textContent = `现行版本：${activeRules.version}。在下面修改，改动在发布前不会施行。`;
    draft.load(activeRules.yaml);
    scenarios.load(activeRules.scenarios);
    await editor.check();
  }

  const versions = versionsPart({ onActivated: load });
  try {
    await load();
  } catch (error) {
    status.fail(error, () => renderRules(container));
    return;
  }
  const publish = publishPart({
    draft,
    scenarios,
    onPublished: async () => {
      await Promise.all([versions.refresh(), load()]);
    },
  });
  container.replaceChildren(
    h("h2", { text: "规则工作台" }),
    h(
      "p",
      { className: "hint" },
      "修改本地区的“好差评”规则：改动随打随查，运行场景、试算样例、模拟对比都不影响正在施行的规则；确认无误后填写说明并发布。各项的写法见《规则文件使用说明》（docs/rules.md）。",
    ),
    editor.node,
    scenariosPart(draft, scenarios),
    trialPart(draft),
    whatIfPart(draft),
    publish,
    versions.node,
  );
  focusHeading(container);
  await versions.refresh();
}
