// The action the step in front of an item asks for, offered only to the role that acts
// there (the item's `actor`); plus, at the callback step, revealing the rater's phone
// (audited). Evidence files are uploaded first and cited by id in the mutation.
import { gql, uploadEvidence } from "./api.js";
import { ACTIONS, REVEAL } from "./queries.js";
import { messageFor, roleName } from "./messages.js";
import { field, h, radios, statusLine } from "./ui.js";

const NOTE_MAX = 1000;

function text(data, name) {
  return String(data.get(name) || "").trim();
}

function textArea(key, name, label) {
  const id = `${key}-${name}`;
  return field(label, h("textarea", { id, name, rows: 3, maxlength: NOTE_MAX }));
}

const FORMS = Object.freeze({
  recordCallback: {
    title: "记录回访结果",
    done: "回访结果已记录",
    submit: "提交回访结果",
    controls: (key) => [
      radios("回访结果", "outcome", [
        ["REACHED", "已联系上评价人"],
        ["UNREACHABLE", "无法联系评价人"],
        ["DECLINED", "评价人拒绝回访"],
      ]),
      textArea(key, "note", "回访情况"),
    ],
    variables: (data) => ({ outcome: data.get("outcome"), note: text(data, "note") }),
  },
  fileAppeal: {
    title: "提出申诉",
    done: "申诉已提交",
    hint: "差评与事实不符的，可提出申诉，须附上证据（照片或 PDF）",
    submit: "提交申诉",
    evidence: true,
    controls: (key) => [textArea(key, "reason", "申诉理由")],
    variables: (data, evidence) => ({ reason: text(data, "reason"), evidence }),
  },
  decideAppeal: {
    title: "复核申诉",
    done: "复核结果已提交",
    submit: "提交复核结果",
    controls: (key) => [
      radios("复核结论", "decision", [
        ["REJECTED", "驳回申诉，差评成立"],
        ["UPHELD", "申诉成立"],
      ]),
      field(
        "申诉成立的认定（仅申诉成立时适用）",
        h(
          "select",
          { id: `${key}-finding`, name: "finding" },
          h("option", { value: "MISTAKEN" }, "误评"),
          h("option", { value: "MALICIOUS" }, "恶意差评"),
          h("option", { value: "INVALID" }, "无效评价"),
        ),
      ),
      textArea(key, "note", "复核意见"),
    ],
    variables: (data) => {
      const decision = data.get("decision");
      const finding = decision === "UPHELD" ? data.get("finding") : null;
      return { decision, finding, note: text(data, "note") };
    },
  },
  submitRectification: {
    title: "提交整改",
    done: "整改已提交",
    hint: "整改到位后填写整改措施，并上传整改材料（照片或 PDF）",
    submit: "提交整改",
    evidence: true,
    controls: (key) => [textArea(key, "measures", "整改措施")],
    variables: (data, evidence) => ({ measures: text(data, "measures"), evidence }),
  },
  reviewRectification: {
    title: "审核整改",
    done: "审核结果已提交",
    submit: "提交审核结果",
    controls: (key) => [
      radios("审核结论", "accepted", [
        ["true", "整改合格"],
        ["false", "不合格，退回重新整改"],
      ]),
      textArea(key, "note", "审核意见"),
    ],
    variables: (data) => ({ accepted: data.get("accepted") === "true", note: text(data, "note") }),
  },
  spotCheck: {
    title: "抽查",
    done: "抽查结果已提交",
    submit: "提交抽查结果",
    controls: (key) => [
      radios("抽查结论", "passed", [
        ["true", "抽查合格"],
        ["false", "不合格，退回重新整改"],
      ]),
      textArea(key, "note", "抽查意见"),
    ],
    variables: (data) => ({ passed: data.get("passed") === "true", note: text(data, "note") }),
  },
});

// At an optional step (appeal) the unit may also go straight to the fix.
const BY_STEP = Object.freeze({
  callback: ["recordCallback"],
  appeal: ["fileAppeal", "submitRectification"],
  appeal_review: ["decideAppeal"],
  rectification: ["submitRectification"],
  rectification_review: ["reviewRectification"],
  follow_up_review: ["reviewRectification"],
  spot_check: ["spotCheck"],
});

const REVEALERS = ["dept_handler", "area_admin"];

async function uploadAll(files, status) {
  const ids = [];
  for (const [index, file] of Array.from(files).entries()) {
    status.busy(`正在上传佐证材料（${index + 1}/${files.length}）…`);
    ids.push(await uploadEvidence(file));
  }
  return ids;
}

function actionForm(key, item, onDone) {
  const spec = FORMS[key];
  const status = statusLine();
  const refusal = h("p", { className: "notice error", role: "alert" });
  const files = spec.evidence
    ? h("input", {
        type: "file",
        id: `${key}-evidence`,
        name: "evidence",
        multiple: true,
        accept: "image/jpeg,image/png,application/pdf",
      })
    : null;
  const button = h("button", { type: "submit", className: "primary" }, spec.submit);
  const form = h(
    "form",
    { id: `form-${key}`, className: "card action", "aria-labelledby": `${key}-title`, novalidate: true },
    h("h3", { id: `${key}-title`, text: spec.title }),
    spec.hint && h("p", { className: "hint", text: spec.hint }),
    spec.controls(key),
    files && field("佐证材料（JPEG、PNG 或 PDF，每个不超过 3 MB）", files),
    refusal,
    status.node,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    refusal.textContent = "";
    try {
      const data = new FormData(form);
      const evidence = files ? await uploadAll(files.files, status) : null;
      status.busy("正在提交…");
      const answer = await gql(ACTIONS[key], { id: item.id, ...spec.variables(data, evidence) });
      const result = answer[key];
      status.clear();
      if (result.__typename === "WorkItemActionRefused") {
        refusal.textContent = result.message;
        return;
      }
      onDone(result.item, spec.done);
    } catch (error) {
      status.fail(error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function revealForm(item) {
  const answer = h("p", { className: "notice", role: "status", "aria-live": "polite" });
  const reason = h("input", { type: "text", id: "reveal-reason", name: "reason", maxlength: 200 });
  const button = h("button", { type: "submit" }, "查看完整电话");
  const form = h(
    "form",
    { id: "form-reveal", className: "card action", "aria-labelledby": "reveal-title", novalidate: true },
    h("h3", { id: "reveal-title", text: "回访电话" }),
    h("p", { className: "hint", text: "查看评价人的完整电话须填写原因，每次查看都会留痕备查" }),
    field("查看原因", reason),
    button,
    answer,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const data = await gql(REVEAL, { caseNo: item.caseNo, reason: reason.value.trim() });
      const result = data.revealContact;
      const shown = result.__typename === "ContactRevealed";
      answer.className = shown ? "notice good" : "notice error";
      answer.textContent = shown ? `评价人电话：${result.phone}` : result.message;
    } catch (error) {
      answer.className = "notice error";
      answer.textContent = messageFor(error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function waiting(item) {
  if (item.status === "CLOSED") {
    return h("p", { className: "hint", text: "工单已办结，无需再办理" });
  }
  if (item.actor === "rater") {
    return h("p", { className: "hint", text: "等待评价人对整改结果追评" });
  }
  return h("p", { className: "hint", text: `当前环节由${roleName(item.actor)}办理，您可查看进度` });
}

/** What the viewer may do at the item's step; `onDone(item, message)` after an action. */
export function actionPanel(item, viewer, onDone) {
  const open = item.status === "OPEN";
  const mine = open && item.actor === viewer.role ? BY_STEP[item.step] || [] : [];
  const reveal = open && item.step === "callback" && REVEALERS.includes(viewer.role);
  return h(
    "section",
    { className: "actions", "aria-labelledby": "actions-title" },
    h("h3", { id: "actions-title", text: "办理" }),
    mine.length ? mine.map((key) => actionForm(key, item, onDone)) : waiting(item),
    reveal && revealForm(item),
  );
}
