// The rating form, built from `ratingForm`: the levels, labels, which need a reason and the
// reason tags all come from the active policy (rules.yaml), never from this file.
import { ApiError, gql, randomId } from "./api.js";
import { messageFor } from "./messages.js";
import { formatTime, h } from "./ui.js";

export const FORM_QUERY = `query Form($caseNo: String!, $channel: Channel!) {
  ratingForm(caseNo: $caseNo, channel: $channel) {
    caseNo deadline alreadyRated
    levels { level label category reasonRequired tags { code label } }
  }
}`;

const SUBMIT = `mutation Rate($input: RatingInput!) {
  submitRating(input: $input) {
    __typename
    ... on RatingAccepted { appliesTo status message rating { level category } }
    ... on RatingRejected { code message }
  }
}`;

export async function loadForm(caseNo, channel, authorization, onSlow) {
  const data = await gql(FORM_QUERY, { caseNo, channel }, { authorization, onSlow });
  return data.ratingForm;
}

/**
 * Render the form into `container`. `onAccepted(level, note)` runs once the API stored the
 * rating; `note` is the API's word when the rating does not count as given (held for
 * review, or kept in the history), else null.
 * The submit button is disabled while a request is out (no double submit); a retry after a
 * network failure resends the same clientRequestId, so it can never store twice.
 */
export function renderRatingForm(container, form, { channel, authorization, onAccepted }) {
  const formId = randomId();
  let sent = null; // {key, requestId} of the last attempt that may have reached the server
  const message = h("div", { className: "notice", role: "alert", "aria-live": "assertive" });
  const reasons = h("div", { className: "reasons" });
  const comment = h("textarea", { id: `comment-${formId}`, name: "comment", maxlength: "500" });
  const submit = h("button", { type: "submit", className: "primary wide" }, "提交评价");

  const levelChoices = form.levels.map((level) =>
    h(
      "label",
      { className: `choice ${level.category === "bad" ? "bad" : ""}` },
      h("input", { type: "radio", name: `level-${formId}`, value: String(level.level) }),
      h("span", { text: level.label }),
    ),
  );
  const levelSet = h(
    "fieldset",
    {},
    h("legend", { text: "请选择评价等级" }),
    h("div", { className: "choices" }, levelChoices),
  );

  const chosenLevel = () => {
    const picked = levelSet.querySelector("input:checked");
    return picked ? form.levels.find((lv) => String(lv.level) === picked.value) : null;
  };

  const showReasons = () => {
    const level = chosenLevel();
    reasons.replaceChildren();
    if (!level) {
      return;
    }
    const legend = level.reasonRequired
      ? "请选择原因（差评须至少选择一项原因或填写文字说明）"
      : "您的评价标签（选填）";
    const tags = level.tags.map((tag) =>
      h(
        "label",
        { className: "choice" },
        h("input", { type: "checkbox", name: "tag", value: tag.code }),
        h("span", { text: tag.label }),
      ),
    );
    reasons.append(
      h("fieldset", {}, h("legend", { text: legend }), h("div", { className: "choices" }, tags)),
    );
  };
  levelSet.addEventListener("change", () => {
    message.replaceChildren();
    message.className = "notice";
    showReasons();
  });

  const node = h(
    "form",
    { className: "rating-form", novalidate: true },
    form.alreadyRated ? h("p", { className: "notice", text: "这项办件已有评价记录。" }) : null,
    form.deadline && channel !== "PAD"
      ? h("p", { className: "hint", text: `评价截止：${formatTime(form.deadline)}` })
      : null,
    levelSet,
    reasons,
    h("label", { for: `comment-${formId}`, text: "文字说明（选填，最多500字）" }),
    comment,
    message,
    submit,
  );

  const fail = (text) => {
    message.className = "notice error";
    message.replaceChildren(text);
  };

  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submit.disabled) {
      return;
    }
    const level = chosenLevel();
    if (!level) {
      fail("请先选择评价等级");
      return;
    }
    const tags = [...reasons.querySelectorAll("input:checked")].map((input) => input.value);
    const text = comment.value.trim();
    const key = JSON.stringify([level.level, tags, text]);
    const requestId = sent && sent.key === key ? sent.requestId : randomId();
    sent = { key, requestId };
    submit.disabled = true;
    submit.textContent = "正在提交…";
    message.className = "notice";
    message.replaceChildren("正在提交，请稍候…");
    const input = {
      caseNo: form.caseNo,
      level: level.level,
      channel,
      tags,
      comment: text || null,
      clientRequestId: requestId,
    };
    try {
      const data = await gql(SUBMIT, { input }, {
        authorization,
        onSlow: () => message.replaceChildren("网络较慢，正在提交，请不要关闭页面…"),
      });
      const result = data.submitRating;
      if (result.__typename === "RatingAccepted") {
        onAccepted(level, result.status === "EFFECTIVE" ? null : result.message);
        return;
      }
      sent = null; // a refusal is final for this content: a changed form is a new request
      fail(messageFor(result.code, result.message));
    } catch (error) {
      const code = error instanceof ApiError ? error.code : "NETWORK";
      fail(messageFor(code));
      if (code === "NETWORK" || code === "TIMEOUT") {
        submit.textContent = "重试提交";
        submit.disabled = false;
        return;
      }
    }
    submit.textContent = "提交评价";
    submit.disabled = false;
  });

  container.replaceChildren(node);
  return node;
}
