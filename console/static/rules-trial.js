// The rules workbench's dry runs of the draft: the scenarios (runScenarios), one sample case
// (tryRules) and a period's cases replayed under the draft beside the active policy
// (simulateRules). None of them stores anything.
import { gql } from "./api.js";
import { percent } from "./charts.js";
import { problemList } from "./rules-editor.js";
import { KINDS, keyName, rejectionName, valueName } from "./rules-words.js";
import { field, h, statusLine, todayInBeijing } from "./ui.js";

const PROBLEM = "problems { line column message warning }";
const RUN = `query($y: String!, $s: String) {
  runScenarios(yaml: $y, scenarios: $s) {
    passed failed code results { name passed fired failures } ${PROBLEM}
  }
}`;
const TRY = `query($y: String!, $d: String!, $g: String!) {
  tryRules(yaml: $y, decide: $d, given: $g) {
    __typename
    ... on RulesTrial { outcome fired version }
    ... on RulesRejected { code ${PROBLEM} }
  }
}`;
const SIMULATE = `query($y: String!, $f: Date!, $t: Date!) {
  simulateRules(yaml: $y, from: $f, to: $t) {
    __typename
    ... on Simulation {
      from to cases activeVersion draftVersion seconds
      figures { key title active draft activeText draftText changed }
    }
    ... on RulesRejected { code ${PROBLEM} }
  }
}`;

/** Replace `node`'s children by those of `children` that are there (a condition's false is
 * not a child). */
export function put(node, ...children) {
  node.replaceChildren(...children.filter(Boolean));
}

/** A plain-words failure on a status line (statusLine.fail shows an error's message). */
export function refuse(status, text) {
  status.fail({ apiMessage: text });
}

/** The policy's rule titles by id, read off the draft's text: each `id:` with the `title:`
 * of the same mapping (a rough reading, for labels only; the API reads the YAML). */
function ruleTitles(yaml) {
  const titles = new Map();
  const lines = yaml.split("\n");
  lines.forEach((line, index) => {
    const id = /^(\s*)(- )?id:\s*([a-z0-9-]+)\s*(#.*)?$/.exec(line);
    if (!id) {
      return;
    }
    const indent = id[1].length + (id[2] ? 2 : 0);
    for (const next of lines.slice(index + 1, index + 12)) {
      const title = new RegExp(`^\\s{${indent}}title:\\s*(.+?)\\s*$`).exec(next);
      if (title) {
        titles.set(id[3], title[1].replace(/^["'](.*)["']$/, "$1"));
        return;
      }
      if (next.trim() && !next.trim().startsWith("#") && /^\s*/.exec(next)[0].length < indent) {
        return;
      }
    }
  });
  return titles;
}

/** The fired rules: their ids, each with its title when the draft has one. */
function firedList(fired, titles) {
  if (!fired.length) {
    return h("p", { className: "hint", text: "没有规则被触发" });
  }
  return h(
    "ul",
    { className: "fired" },
    fired.map((id) =>
      h(
        "li",
        { "data-rule": id },
        h("code", { text: id }),
        titles.has(id) ? `（${titles.get(id)}）` : "",
      ),
    ),
  );
}

function section(id, title, ...children) {
  return h(
    "section",
    { className: "card rules-section", id, "aria-labelledby": `${id}-title` },
    h("h3", { id: `${id}-title`, text: title }),
    ...children,
  );
}

function scenarioItem(result) {
  return h(
    "li",
    { "data-scenario": result.name },
    h("strong", { text: result.name }),
    result.failures.length > 0 &&
      h(
        "ul",
        {},
        result.failures.map((failure) => h("li", { className: "failure", text: failure })),
      ),
  );
}

/** The failed scenarios, each with what differed. */
export function failedScenarios(results) {
  return h("ul", { className: "scenarios failed" }, results.map(scenarioItem));
}

function showRun(out, status, run, texts) {
  if (run.code || run.problems.length) {
    refuse(status, `${rejectionName(run.code || "INVALID_RULES")}，场景没有运行`);
    const text = run.code === "INVALID_SCENARIOS" ? texts.scenarios : texts.draft;
    put(out, run.problems.length > 0 && problemList(run.problems, text.selectLine));
    return;
  }
  const failed = run.results.filter((r) => !r.passed);
  const passed = run.results.filter((r) => r.passed);
  if (failed.length) {
    refuse(status, `${run.failed} 个场景未通过，${run.passed} 个通过`);
  } else {
    status.done(`全部通过：共 ${run.passed} 个场景`);
  }
  put(
    out,
    failed.length > 0 && h("h4", { text: "未通过的场景" }),
    failed.length > 0 && failedScenarios(failed),
    passed.length > 0 &&
      h(
        "details",
        {},
        h("summary", { text: `通过的场景（${passed.length} 个）` }),
        h(
          "ul",
          { className: "scenarios passed" },
          passed.map((r) => h("li", { "data-scenario": r.name, text: r.name })),
        ),
      ),
  );
}

/** 场景: the scenarios' text (folded away) and 运行场景 against the draft. */
export function scenariosPart(draft, scenarios) {
  const status = statusLine();
  const out = h("div", { className: "results" });
  const run = h("button", { type: "button", className: "primary" }, "运行场景");
  // A result of an earlier text is not the draft's: say so rather than leave it standing.
  const stale = () => {
    if (out.childElementCount || status.node.textContent) {
      out.replaceChildren();
      status.busy("规则或场景已改动，请重新运行场景");
    }
  };
  draft.text.addEventListener("input", stale);
  scenarios.text.addEventListener("input", stale);
  run.addEventListener("click", async () => {
    run.disabled = true;
    status.busy("正在运行场景…");
    out.replaceChildren();
    try {
      const { runScenarios } = await gql(RUN, { y: draft.text.value, s: scenarios.text.value });
      showRun(out, status, runScenarios, { draft, scenarios });
    } catch (error) {
      status.fail(error);
    } finally {
      run.disabled = false;
    }
  });
  return section(
    "rules-scenarios",
    "场景",
    h(
      "p",
      { className: "hint" },
      "每个场景是“给定这些情况，应当这样判断”。发布前全部场景须通过；改了规则，请把相应场景的期望一起改掉。",
    ),
    h("details", {}, h("summary", { text: "查看和修改场景（rules_test.yaml）" }), scenarios.node),
    run,
    status.node,
    out,
  );
}

function shown(value) {
  if (value === null || value === undefined) {
    return "无";
  }
  if (typeof value === "boolean") {
    return value ? "是" : "否";
  }
  if (Array.isArray(value)) {
    return value.length ? value.map(shown).join("、") : "无";
  }
  return String(value);
}

const isObject = (value) => Boolean(value) && typeof value === "object" && !Array.isArray(value);
// A listed tag or level ({code, label}): "服务态度差、效率低（poor-attitude）".
const isLabelled = (value) => isObject(value) && "code" in value && "label" in value;

/** A value of an outcome: plain words, a list of labelled codes, or a nested list. */
function valueOf(value) {
  if (Array.isArray(value) && value.length && value.every(isLabelled)) {
    return h(
      "ul",
      { className: "plain" },
      value.map((v) => h("li", {}, String(v.label), h("code", { className: "key" }, `（${v.code}）`))),
    );
  }
  if (Array.isArray(value) && value.some(isObject)) {
    return value.map((v) => (isObject(v) ? outcomeList(v, true) : shown(v)));
  }
  return isObject(value) ? outcomeList(value, true) : shown(value);
}

/** An outcome (a JSON object) as a list of keys and values; nested objects nest (where a
 * `code` is a tag's or a level's, not a refusal's). */
function outcomeList(outcome, nested = false) {
  return h(
    "dl",
    { className: "details outcome" },
    Object.entries(outcome).flatMap(([key, value]) => [
      h(
        "dt",
        {},
        nested && key === "code" ? "代码" : keyName(key),
        " ",
        h("code", { className: "key", text: key }),
      ),
      h("dd", { "data-key": key }, valueName(key, value) || valueOf(value)),
    ]),
  );
}

function showTrial(out, status, trial, yaml) {
  let outcome;
  try {
    outcome = JSON.parse(trial.outcome);
  } catch {
    outcome = null;
  }
  status.done(`试算完成（按草稿 ${trial.version}）`);
  put(
    out,
    h("h4", { text: "判断结果" }),
    outcome && typeof outcome === "object" && Object.keys(outcome).length
      ? outcomeList(outcome)
      : h("p", { className: "hint", text: "没有结果：该情况不适用任何规则" }),
    h("h4", { text: "触发的规则" }),
    firedList(trial.fired, ruleTitles(yaml)),
  );
}

function factsOf(kind) {
  const [, , example] = KINDS.find(([code]) => code === kind);
  return JSON.stringify(example, null, 2);
}

/** 试算: one sample case of a chosen kind, its facts as JSON, judged under the draft. */
export function trialPart(draft) {
  const status = statusLine();
  const out = h("div", { className: "results" });
  const kind = h(
    "select",
    { id: "trial-kind", name: "trial-kind" },
    KINDS.map(([code, label]) => h("option", { value: code }, `${label}（${code}）`)),
  );
  const facts = h("textarea", {
    id: "trial-facts",
    name: "trial-facts",
    rows: 10,
    spellcheck: "false",
    className: "code-text facts",
  });
  facts.value = factsOf(kind.value);
  kind.addEventListener("change", () => {
    facts.value = factsOf(kind.value);
    out.replaceChildren();
    status.clear();
  });
  const form = h(
    "form",
    { "aria-label": "试算样例" },
    field("判断什么", kind),
    field("给定的情况（JSON，选择类型后换成该类型的示例）", facts),
    h("button", { type: "submit", className: "primary" }, "试算"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.replaceChildren();
    try {
      JSON.parse(facts.value);
    } catch {
      refuse(status, "给定的情况不是有效的 JSON：请检查英文引号、逗号和括号");
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    status.busy("正在试算…");
    try {
      const yaml = draft.text.value;
      const { tryRules } = await gql(TRY, { y: yaml, d: kind.value, g: facts.value });
      if (tryRules.__typename === "RulesTrial") {
        showTrial(out, status, tryRules, yaml);
      } else {
        refuse(status, rejectionName(tryRules.code));
        put(out, tryRules.problems.length > 0 && problemList(tryRules.problems));
      }
    } catch (error) {
      status.fail(error);
    } finally {
      button.disabled = false;
    }
  });
  return section(
    "rules-trial",
    "试算样例",
    h("p", { className: "hint", text: "按草稿判断一个样例，看结果和触发了哪些规则。不保存任何数据。" }),
    form,
    status.node,
    out,
  );
}

/** The last full month before `today` ("2026-12-04"): ["2026-11-01", "2026-11-30"]. */
export function lastFullMonth(today) {
  const [year, month] = today.split("-").map(Number);
  const first = new Date(Date.UTC(year, month - 2, 1));
  const last = new Date(Date.UTC(year, month - 1, 0));
  return [first.toISOString().slice(0, 10), last.toISOString().slice(0, 10)];
}

/** A figure as shown: a count as it is, a metric's value as the dashboard shows it,
 * "75.0%（3/4）" ("0/0" alone: no value). */
function figureText(figure, value, text) {
  const metric = figure.key.startsWith("metric:");
  return metric && value !== null && value !== undefined ? `${percent(value)}（${text}）` : text;
}

function simulationTable(simulation) {
  return h(
    "table",
    { className: "worklist figures simulation" },
    h("caption", {
      text: `${simulation.from} 至 ${simulation.to} 办结的 ${simulation.cases} 件办件，按现行规则和按草稿分别计算`,
    }),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col", text: "指标" }),
        h("th", { scope: "col", className: "number", text: "现行规则" }),
        h("th", { scope: "col", className: "number", text: "草稿" }),
        h("th", { scope: "col", text: "变化" }),
      ),
    ),
    h(
      "tbody",
      {},
      simulation.figures.map((figure) =>
        h(
          "tr",
          { className: figure.changed ? "changed" : null, "data-figure": figure.key },
          h("th", { scope: "row", text: figure.title }),
          h("td", {
            className: "number",
            text: figureText(figure, figure.active, figure.activeText),
          }),
          h("td", {
            className: "number",
            text: figureText(figure, figure.draft, figure.draftText),
          }),
          h("td", {}, figure.changed && h("span", { className: "badge changed", text: "有变化" })),
        ),
      ),
    ),
  );
}

function showSimulation(out, status, simulation) {
  const changed = simulation.figures.filter((f) => f.changed).length;
  status.done(
    changed
      ? `模拟完成：${changed} 项指标有变化`
      : "模拟完成：按草稿计算，各项指标都没有变化",
  );
  out.replaceChildren(
    h("div", { className: "scroll" }, simulationTable(simulation)),
    h("p", {
      className: "meta",
      text: `现行规则 ${simulation.activeVersion}，草稿 ${simulation.draftVersion}；用时 ${simulation.seconds.toFixed(1)} 秒。`,
    }),
  );
}

/** 模拟: the period's cases replayed under the active policy and under the draft. */
export function whatIfPart(draft) {
  const status = statusLine();
  const out = h("div", { className: "results" });
  const [from, to] = lastFullMonth(todayInBeijing());
  const form = h(
    "form",
    { className: "filters", "aria-label": "模拟条件" },
    field("开始日期", h("input", { type: "date", id: "whatif-from", value: from, required: true })),
    field("结束日期", h("input", { type: "date", id: "whatif-to", value: to, required: true })),
    h("button", { type: "submit", className: "primary" }, "模拟"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    out.replaceChildren();
    status.busy("正在模拟，办件多时需要一些时间…");
    try {
      const variables = {
        y: draft.text.value,
        f: form.querySelector("#whatif-from").value,
        t: form.querySelector("#whatif-to").value,
      };
      const { simulateRules: result } = await gql(SIMULATE, variables);
      if (result.__typename === "Simulation") {
        showSimulation(out, status, result);
      } else {
        refuse(status, rejectionName(result.code));
        put(out, result.problems.length > 0 && problemList(result.problems));
      }
    } catch (error) {
      status.fail(error);
    } finally {
      button.disabled = false;
    }
  });
  return section(
    "rules-whatif",
    "模拟（如果按草稿执行）",
    h(
      "p",
      { className: "hint" },
      "把一段时间内办结的办件按草稿重新判断一遍，与按现行规则的结果对比：默认评价、补充评价、统计指标等会有什么不同。不改动任何数据。",
    ),
    form,
    status.node,
    out,
  );
}
