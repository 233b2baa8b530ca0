// The rating form, built from `ratingForm`: the levels, labels, which need a reason and the
// reason tags all come from the active policy (rules.yaml), never from this file.
import { ApiError, gql, randomId } from "./api.js";
import { messageFor } from "./messages.js";
import { formatTime, h } from "./ui.js";

export const FORM_QUERY = `query Form($caseNo: String!, $channel: Channel!) {
  ratingForm(caseNo: $caseNo, channel: $channel) {
    caseNo deadline alreadyRated canRate cannotRate { code message }
    appliesTo { kind caseCount notice }
    integratedService { number name memberCount overallAllowed notice }
    afterBad
    levels { level label category reasonRequired tags { code label } }
  }
}`;

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, String(value));
  }
  return node;
}

/**
 * A face for the level at `rank` (0 = the best of `count`): the mouth bends from a smile to
 * a frown across the levels the policy has. Decoration only: the label says it in words.
 */
function face(rank, count) {
  const bend = count > 1 ? 1 - (2 * rank) / (count - 1) : 0; // 1 smile … -1 frown
  const icon = svg("svg", { viewBox: "0 0 40 40", class: "face", "aria-hidden": "true", focusable: "false" });
  icon.append(
    svg("circle", { cx: 20, cy: 20, r: 17, class: "face-outline" }),
    svg("circle", { cx: 14, cy: 16, r: 2.2, class: "face-eye" }),
    svg("circle", { cx: 26, cy: 16, r: 2.2, class: "face-eye" }),
    svg("path", { d: `M12 ${26 - 2 * bend} Q20 ${26 + 6 * bend} 28 ${26 - 2 * bend}`, class: "face-mouth" }),
  );
  return icon;
}

const CATEGORY = { good: "good", neutral: "neutral", bad: "bad" };

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
 * Render the form into `container`. `onAccepted(level, note, outcome)` runs once the API
 * stored the rating; `note` is the API's word when the rating does not count as given (held
 * for review, or kept in the history), else null; `outcome` = {appliesTo: the case numbers
 * it landed on, afterBad: what follows a bad rating (null for other levels), overall: it was
 * the one-thing bundle's overall rating}.
 * A case the rater may not rate gets the reason instead of a form (`form.canRate`).
 * What the rating lands on is said before it is sent (a whole batch, a bundle); in a bundle
 * whose policy allows it the rater chooses this matter only or the bundle as a whole.
 * The submit button is disabled while a request is out (no double submit); a retry after a
 * network failure resends the same clientRequestId, so it can never store twice.
 */
export function renderRatingForm(container, form, { channel, authorization, onAccepted }) {
  if (form.canRate === false) {
    const refusal = form.cannotRate || {};
    const node = h(
      "form",
      { className: "rating-form" },
      h("p", { className: "notice error", role: "alert", text: messageFor(refusal.code, refusal.message) }),
    );
    container.replaceChildren(node);
    return node;
  }
  const formId = randomId();
  let sent = null; // {key, requestId} of the last attempt that may have reached the server
  const message = h("div", { className: "notice", role: "alert", "aria-live": "assertive" });
  const reasons = h("div", { className: "reasons" });
  const comment = h("textarea", { id: `comment-${formId}`, name: "comment", maxlength: "500" });
  const submit = h("button", { type: "submit", className: "primary wide" }, "提交评价");

  const levelChoices = form.levels.map((level, rank) =>
    h(
      "label",
      { className: `choice level ${CATEGORY[level.category] || "neutral"}` },
      h("input", { type: "radio", name: `level-${formId}`, value: String(level.level) }),
      h("span", { className: "tile" }, face(rank, form.levels.length), h("strong", { className: "level-name", text: level.label })),
    ),
  );
  const levelSet = h(
    "fieldset",
    { className: "levels" },
    h("legend", { text: "请选择评价等级" }),
    h("div", { className: "choices level-row" }, levelChoices),
  );

  const bundle = form.integratedService;
  const offerOverall = Boolean(bundle && bundle.overallAllowed && channel !== "PAD");
  const reach = h("p", { className: "notice reach", id: `reach-${formId}`, "aria-live": "polite" });
  const scopeSet = offerOverall
    ? h(
        "fieldset",
        { className: "scope" },
        h("legend", { text: `“${bundle.name}”是一件事集成服务，请选择评价范围` }),
        h(
          "div",
          { className: "choices" },
          h(
            "label",
            { className: "choice" },
            h("input", { type: "radio", name: `scope-${formId}`, value: "case", checked: true }),
            h("span", { text: "只评价本事项" }),
          ),
          h(
            "label",
            { className: "choice" },
            h("input", { type: "radio", name: `scope-${formId}`, value: "overall" }),
            h("span", { text: "一件事整体评价" }),
          ),
        ),
      )
    : null;
  const overall = () => Boolean(scopeSet && scopeSet.querySelector("input:checked").value === "overall");
  const showReach = () => {
    const notice = overall() ? bundle.notice : form.appliesTo && form.appliesTo.notice;
    reach.replaceChildren(...(notice ? [notice] : []));
  };
  if (scopeSet) {
    scopeSet.addEventListener("change", showReach);
  }
  showReach();

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
    scopeSet,
    levelSet,
    reasons,
    h("label", { for: `comment-${formId}`, text: "文字说明（选填，最多500字）" }),
    comment,
    reach,
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
    const key = JSON.stringify([level.level, tags, text, overall()]);
    const requestId = sent && sent.key === key ? sent.requestId : randomId();
    sent = { key, requestId };
    submit.disabled = true;
    submit.textContent = "正在提交…";
    message.className = "notice";
    message.replaceChildren("正在提交，请稍候…");
    const whole = overall();
    const input = {
      ...(whole ? { integratedServiceNo: bundle.number } : { caseNo: form.caseNo }),
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
        onAccepted(level, result.status === "EFFECTIVE" ? null : result.message, {
          appliesTo: result.appliesTo,
          afterBad: level.category === "bad" ? form.afterBad || null : null,
          overall: whole,
        });
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

/** What an accepted rating's answer adds to the thanks, in sentences: where it landed (a
 * batch, a one-thing service as a whole) and, after a bad rating, what the policy says
 * happens next. `outcome` is onAccepted's third argument. */
export function outcomeLines(outcome) {
  const lines = [];
  const landed = outcome && outcome.appliesTo ? outcome.appliesTo.length : 1;
  if (outcome && outcome.overall) {
    lines.push(`已作为一件事整体评价，适用于${landed}项事项。`);
  } else if (landed > 1) {
    lines.push(`已同时评价本批次${landed}件办件。`);
  }
  if (outcome && outcome.afterBad) {
    lines.push(outcome.afterBad);
  }
  return lines;
}
