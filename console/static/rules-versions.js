// The rules workbench's publishing: 发布 (publishRules, through the gate: the rules checked,
// the scenarios passed), the versions published so far (rulesVersions), what changed between
// two of them (rulesDiff) and the rollback to an earlier one (activateRulesVersion, the same
// gate).
import { gql } from "./api.js";
import { changeList, problemList } from "./rules-editor.js";
import { failedScenarios, put, refuse } from "./rules-trial.js";
import { changeKindName, rejectionName, viaName } from "./rules-words.js";
import { field, formatTime, h, statusLine } from "./ui.js";

const VERDICT = `
  __typename
  ... on RulesPublished { version changed id }
  ... on RulesRejected {
    code problems { line column message warning } failedScenarios { name failures }
  }`;
const PUBLISH = `mutation($y: String!, $s: String, $n: String) {
  publishRules(yaml: $y, scenarios: $s, note: $n) { ${VERDICT} }
}`;
const ACTIVATE = `mutation($id: ID!, $n: String) {
  activateRulesVersion(id: $id, note: $n) { ${VERDICT} }
}`;
const VERSIONS = `query {
  rulesVersions(limit: 50) {
    id version digest label effectiveFrom publishedAt publishedBy note via active
  }
}`;
const CHANGE = "changes { section ruleId kind summary details }";
const DIFF = `query($f: ID!, $t: ID!) {
  rulesDiff(from: $f, to: $t) { from { version } to { version } ${CHANGE} }
}`;

function section(id, title, ...children) {
  return h(
    "section",
    { className: "card rules-section", id, "aria-labelledby": `${id}-title` },
    h("h3", { id: `${id}-title`, text: title }),
    ...children,
  );
}

/** A refusal of the gate: its code in words and what it found. */
function showRejected(out, status, rejected, pick, what = "发布") {
  refuse(status, `未能${what}：${rejectionName(rejected.code)}`);
  put(
    out,
    rejected.problems.length > 0 && problemList(rejected.problems, pick),
    rejected.failedScenarios.length > 0 && h("h4", { text: "未通过的场景" }),
    rejected.failedScenarios.length > 0 && failedScenarios(rejected.failedScenarios),
  );
}

/** 发布: the draft and its scenarios through the gate, with a note saying why. */
export function publishPart({ draft, scenarios, onPublished }) {
  const status = statusLine();
  const out = h("div", { className: "results" });
  const note = h("input", {
    type: "text",
    id: "publish-note",
    name: "publish-note",
    required: true,
    maxlength: 500,
    "aria-describedby": "publish-note-hint",
  });
  const form = h(
    "form",
    { "aria-label": "发布规则" },
    field("发布说明（必填）", note),
    h("p", {
      id: "publish-note-hint",
      className: "hint",
      text: "写明依据和改了什么，例如：按区政府2026年第3号文，补充评价期限改为10个工作日。",
    }),
    h("button", { type: "submit", className: "primary" }, "发布"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!note.value.trim()) {
      refuse(status, "请填写发布说明");
      note.focus();
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    out.replaceChildren();
    status.busy("正在检查并发布…");
    try {
      const variables = { y: draft.text.value, s: scenarios.text.value, n: note.value.trim() };
      const { publishRules: result } = await gql(PUBLISH, variables);
      if (result.__typename === "RulesPublished") {
        status.done(
          result.changed
            ? `已发布 ${result.version}，现已施行`
            : `与现行规则相同，没有新版本；现行版本仍为 ${result.version}`,
        );
        note.value = "";
        await onPublished();
      } else {
        const text = result.code === "INVALID_SCENARIOS" ? scenarios : draft;
        showRejected(out, status, result, text.selectLine);
      }
    } catch (error) {
      status.fail(error);
    } finally {
      button.disabled = false;
    }
  });
  return section(
    "rules-publish",
    "发布",
    h(
      "p",
      { className: "hint" },
      "发布前系统会再检查一遍规则并运行全部场景，都通过才施行；不通过的不会施行，现行规则不变。",
    ),
    form,
    status.node,
    out,
  );
}

// Who published a version: a person's name, or "file" for the rules file the system read.
function publisher(by) {
  if (by === "file") {
    return "（规则文件）";
  }
  return by || "—";
}

function versionRow(entry, onRollback) {
  return h(
    "tr",
    { className: entry.active ? "active" : null, "data-version": entry.version, "data-id": entry.id },
    h(
      "th",
      { scope: "row" },
      h(
        "label",
        { className: "version" },
        h("input", { type: "checkbox", name: "diff-version", value: entry.id }),
        h("span", { className: "visually-hidden", text: "比较" }),
        h(
          "span",
          {},
          h("span", { className: "version-label", text: entry.label || entry.digest }),
          entry.label && h("span", { className: "version-digest", text: `@${entry.digest}` }),
        ),
      ),
    ),
    h("td", { text: entry.effectiveFrom || "不限" }),
    h("td", { text: publisher(entry.publishedBy) }),
    h("td", { text: formatTime(entry.publishedAt) }),
    h("td", { className: "note", text: entry.note || "—" }),
    h("td", { text: viaName(entry.via) }),
    h(
      "td",
      {},
      entry.active
        ? h("span", { className: "badge closed", text: "当前施行" })
        : h(
            "button",
            {
              type: "button",
              className: "rollback",
              "aria-label": `回滚到版本 ${entry.version}`,
              onClick: () => onRollback(entry),
            },
            "回滚到此版本",
          ),
    ),
  );
}

function versionTable(entries, onRollback) {
  const heads = ["版本（勾选两个比较）", "施行日期", "发布人", "发布时间", "说明", "来源", "当前"];
  return h(
    "table",
    { className: "worklist versions" },
    h("caption", { className: "visually-hidden", text: "规则的各个版本，最新的在前" }),
    h("thead", {}, h("tr", {}, heads.map((text) => h("th", { scope: "col", text })))),
    h(
      "tbody",
      {},
      entries.map((entry) => versionRow(entry, onRollback)),
    ),
  );
}

/** The rollback's confirmation: a modal dialog with a note; resolves to the note or null. */
function confirmRollback(entry) {
  const note = h("input", { type: "text", id: "rollback-note", name: "rollback-note" });
  note.value = `回滚到版本 ${entry.version}`;
  const dialog = h(
    "dialog",
    { className: "confirm", "aria-labelledby": "rollback-title" },
    h(
      "form",
      { method: "dialog" },
      h("h3", { id: "rollback-title", text: `回滚到版本 ${entry.version}？` }),
      h("p", {
        text: "该版本将重新施行（同样先检查规则、运行场景）。编辑器中尚未发布的修改将被现行规则替换。",
      }),
      field("回滚说明", note),
      h(
        "div",
        { className: "review" },
        h("button", { value: "confirm", className: "primary" }, "确认回滚"),
        h("button", { value: "cancel", formnovalidate: true }, "取消"),
      ),
    ),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm" ? note.value.trim() : null);
    });
    dialog.showModal();
  });
}

async function showDiff(out, status, ids) {
  status.busy("正在比较…");
  try {
    const { rulesDiff } = await gql(DIFF, { f: ids[0], t: ids[1] });
    const title = `从 ${rulesDiff.from.version} 到 ${rulesDiff.to.version}`;
    status.done(
      rulesDiff.changes.length
        ? `${title}：${rulesDiff.changes.length} 处改动`
        : `${title}：没有改动`,
    );
    put(
      out,
      h("h4", { text: `${title} 的改动` }),
      rulesDiff.changes.length > 0 && changeList(rulesDiff.changes, changeKindName),
    );
  } catch (error) {
    if (error && error.code === "NOT_FOUND") {
      refuse(status, rejectionName("NOT_FOUND"));
    } else {
      status.fail(error);
    }
  }
}

/** 版本记录: the versions newest first, two of them compared, any earlier one reinstated.
 * `onActivated()` runs after a rollback (the editor reloads the active policy). Its
 * `refresh()` reloads the table. */
export function versionsPart({ onActivated }) {
  const status = statusLine();
  const diffStatus = statusLine();
  const table = h("div", { className: "scroll" });
  const diffOut = h("div", { className: "results" });
  const refused = h("div", { className: "results" });
  const compare = h("button", { type: "button", disabled: true }, "比较所选的两个版本");
  let entries = [];

  function chosen() {
    // Oldest first: the table lists the newest first.
    const ticked = [...table.querySelectorAll('[name="diff-version"]:checked')].map((b) => b.value);
    return ticked.reverse();
  }

  table.addEventListener("change", () => {
    compare.disabled = chosen().length !== 2;
  });
  compare.addEventListener("click", () => showDiff(diffOut, diffStatus, chosen()));

  async function rollback(entry) {
    const note = await confirmRollback(entry);
    if (note === null) {
      return;
    }
    status.busy(`正在回滚到版本 ${entry.version}…`);
    refused.replaceChildren();
    try {
      const { activateRulesVersion: result } = await gql(ACTIVATE, { id: entry.id, n: note });
      if (result.__typename === "RulesPublished") {
        await refresh();
        await onActivated();
        status.done(`已回滚：现行版本为 ${result.version}，编辑器已载入该版本`);
      } else {
        showRejected(refused, status, result, null, "回滚");
      }
    } catch (error) {
      status.fail(error);
    }
  }

  async function refresh() {
    try {
      ({ rulesVersions: entries } = await gql(VERSIONS));
      table.replaceChildren(versionTable(entries, rollback));
      compare.disabled = true;
    } catch (error) {
      status.fail(error, refresh);
    }
  }

  const node = section(
    "rules-versions",
    "版本记录",
    h("p", {
      className: "hint",
      text: "勾选两个版本可比较其间的改动；回滚会让所选的早先版本重新施行（同样先检查规则、运行场景）。",
    }),
    status.node,
    refused,
    table,
    compare,
    diffStatus.node,
    diffOut,
  );
  return { node, refresh };
}
