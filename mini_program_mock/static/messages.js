// Plain Chinese for every code the API answers with: the one place the clients word errors.
export const MESSAGES = Object.freeze({
  RATING_WINDOW_CLOSED: "已超过补充评价期限",
  REASON_REQUIRED: "差评请选择原因或填写文字说明",
  ALREADY_RATED: "这项办件已经评价过了",
  NOT_RATER: "只有办件的申请人可以评价",
  CASE_NOT_COMPLETED: "办件还没有办结，办结后才能评价",
  RATE_LIMITED: "评价过于频繁，请稍后再试",
  INVALID_TAG: "所选的原因不在本等级可选范围内，请重新选择",
  INVALID_LEVEL: "评价等级无效，请重新选择",
  RATE_EACH_MEMBER: "这项“一件事”服务需要对每个事项分别评价",
  TOO_LONG: "文字说明太长，请精简后再提交",
  NOT_FOUND: "没有找到相关信息，请确认后再试",
  UNAUTHENTICATED: "登录已过期，请重新登录",
  FORBIDDEN: "您没有权限进行此操作",
  BAD_INPUT: "提交的内容有误，请检查后重试",
  PAYLOAD_TOO_LARGE: "提交的内容太多，请精简后重试",
  NETWORK: "网络不稳定，请重试",
  TIMEOUT: "网络不稳定，请重试",
  INTERNAL: "系统繁忙，请稍后重试",
  PAIRING_CODE_INVALID: "配对码不正确或已使用，请核对后重新输入",
  PAIRING_CODE_EXPIRED: "配对码已过期，请工作人员重新生成",
  PAIRING_RATE_LIMITED: "尝试次数过多，请工作人员重新生成配对码后再试",
});

const FALLBACK = "操作未成功，请稍后重试";

/** The message for an API code; the API's own (Chinese) message only for unknown codes. */
export function messageFor(code, apiMessage) {
  if (typeof code === "string" && Object.hasOwn(MESSAGES, code)) {
    return MESSAGES[code];
  }
  return typeof apiMessage === "string" && apiMessage.trim() ? apiMessage : FALLBACK;
}
