// The rules workbench's text editors: a plain <textarea> (no wrapping, so each line of text is
// one line of the gutter) beside a gutter of line numbers scrolled with it, whose lines with
// problems are marked; and the list of problems, each of which puts the caret on its line.
import { h } from "./ui.js";

/** A code editor: `node` to place, `text` the textarea (labelled by `label`). */
export function codeEditor({ id, label, rows = 24 }) {
  const gutter = h("div", { className: "gutter", "aria-hidden": "true" });
  const text = h("textarea", {
    id,
    name: id,
    rows,
    wrap: "off",
    spellcheck: "false",
    autocomplete: "off",
    autocapitalize: "off",
    className: "code-text",
  });
  let shown = 0;

  function number() {
    const count = text.value.split("\n").length;
    if (count !== shown) {
      const lines = [];
      for (let line = 1; line <= count; line += 1) {
        lines.push(h("div", { "data-line": line, text: String(line) }));
      }
      gutter.replaceChildren(...lines);
      shown = count;
    }
    gutter.scrollTop = text.scrollTop;
  }

  text.addEventListener("input", number);
  text.addEventListener("scroll", () => {
    gutter.scrollTop = text.scrollTop;
  });
  const node = h(
    "div",
    { className: "field" },
    h("label", { for: id, text: label }),
    h("div", { className: "code" }, gutter, text),
  );
  return {
    node,
    text,
    /** Replace the whole text, as loaded. */
    load(value) {
      text.value = value;
      number();
      text.scrollTop = 0;
      gutter.scrollTop = 0;
    },
    /** Mark the lines with problems: an error outranks a warning on the same line. */
    mark(problems) {
      gutter.querySelectorAll(".error, .warning").forEach((line) => {
        line.className = "";
      });
      for (const problem of [...problems].sort((a, b) => b.warning - a.warning)) {
        const line = gutter.querySelector(`[data-line="${Number(problem.line)}"]`);
        if (line) {
          line.className = problem.warning ? "warning" : "error";
        }
      }
    },
    /** Put the caret on `line`: select it and scroll it into the middle of the view. */
    selectLine(line) {
      const lines = text.value.split("\n");
      const at = Math.min(Math.max(1, line), lines.length) - 1;
      const start = lines.slice(0, at).reduce((sum, one) => sum + one.length + 1, 0);
      const folded = node.closest("details");
      if (folded) {
        folded.open = true;
      }
      text.focus();
      text.setSelectionRange(start, start + lines[at].length);
      const height = parseFloat(getComputedStyle(text).lineHeight) || 20;
      text.scrollTop = Math.max(0, at * height - text.clientHeight / 3);
      gutter.scrollTop = text.scrollTop;
    },
  };
}

/** "第3行第5列" */
export function place(problem) {
  return `第${problem.line}行第${problem.column}列`;
}

/** The problems as a list; with `onPick`, each is a button that calls it with the line. */
export function problemList(problems, onPick) {
  return h(
    "ol",
    { className: "problems" },
    problems.map((problem) => {
      const kind = problem.warning ? "warning" : "error";
      const parts = [
        h("span", { className: `problem-kind ${kind}`, text: problem.warning ? "提醒" : "错误" }),
        h("span", { className: "problem-place", text: place(problem) }),
        h("span", { className: "problem-message", text: problem.message }),
      ];
      return h(
        "li",
        { className: kind, "data-line": problem.line },
        onPick
          ? h(
              "button",
              { type: "button", className: "problem", onClick: () => onPick(problem.line) },
              parts,
            )
          : h("span", { className: "problem" }, parts),
      );
    }),
  );
}

/** What a draft or a diff changes, in words: each change with its fields below it. */
export function changeList(changes, kindName) {
  return h(
    "ul",
    { className: "changes" },
    changes.map((change) =>
      h(
        "li",
        { "data-rule": change.ruleId || change.section },
        h("span", { className: `tag change-${String(change.kind).toLowerCase()}` }, kindName(change.kind)),
        h("span", { text: change.summary }),
        change.details.length > 0 &&
          h(
            "ul",
            {},
            change.details.map((detail) => h("li", { text: detail })),
          ),
      ),
    ),
  );
}
