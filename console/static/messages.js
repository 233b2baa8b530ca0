// Plain Chinese for every code the API answers with, and for the codes of the loop: the
// one place the console words them. The API sends codes, the console shows labels.
const ERRORS = Object.freeze({
  UNAUTHENTICATED: "登录已过期，请重新登录",
  FORBIDDEN: "您没有权限进行此操作",
  NOT_FOUND: "没有找到这件差评工单，或无权查看",
  BAD_INPUT: "提交的内容有误，请检查后重试",
  PAYLOAD_TOO_LARGE: "文件太大，请压缩后重试",
  NETWORK: "网络不稳定，请重试",
  TIMEOUT: "网络不稳定，请重试",
  INTERNAL: "系统繁忙，请稍后重试",
});

export const STEPS = Object.freeze({
  callback: "回访评价人",
  appeal: "申诉",
  appeal_review: "申诉复核",
  rectification: "整改",
  rectification_review: "整改审核",
  follow_up_rating: "评价人追评",
  follow_up_review: "追评复核",
  spot_check: "抽查",
});

export const ROLES = Object.freeze({
  dept_handler: "部门差评处理人员",
  window_staff: "窗口人员",
  area_admin: "地区管理员",
  policy_staff: "政策工作人员",
  rater: "评价人",
  system: "系统",
});

const ACTIONS = Object.freeze({
  opened: "生成工单",
  callback_recorded: "记录回访",
  appeal_filed: "提出申诉",
  appeal_decided: "复核申诉",
  rectification_submitted: "提交整改",
  rectification_reviewed: "审核整改",
  spot_checked: "抽查",
  follow_up_rated: "评价人追评",
  rating_changed: "评价已不再是差评",
  rating_replaced: "评价人重新评价",
  deadline_passed: "办理期限已到",
});

const OUTCOMES = Object.freeze({
  REACHED: "已联系上评价人",
  UNREACHABLE: "无法联系评价人",
  DECLINED: "评价人拒绝回访",
  MISTAKEN: "申诉成立：误评",
  MALICIOUS: "申诉成立：恶意差评",
  INVALID: "申诉成立：无效评价",
  REJECTED: "申诉驳回",
  ACCEPTED: "合格",
  RETURNED: "退回重新整改",
  GOOD: "追评满意",
  BAD: "追评仍不满意",
  ESCALATE: "超期督办",
  DEEM_CONFIRMED: "超期未申诉，视为认可差评",
  REVIEW: "转复核",
  NOTHING: "超期",
});

const CLOSE_REASONS = Object.freeze({
  RATING_CHANGED: "评价已不再是差评",
  RESOLVED: "处理完毕",
  APPEAL_UPHELD: "申诉成立",
  FOLLOW_UP_GOOD: "评价人追评满意",
  FOLLOW_UP_BAD: "评价人追评仍不满意",
  NO_FOLLOW_UP: "评价人未追评",
});

// Why a rating waits for the area admin (heldRatings' `reason`).
const HOLD_REASONS = Object.freeze({
  WORDS: "含敏感词",
  BURST: "同一设备集中评价",
});

// The statistics' refusals (statistics, ranking, statisticsFunnel) in the dashboard's words:
// there a NOT_FOUND is a department or window, not a work item.
const STATS_ERRORS = Object.freeze({
  UNKNOWN_METRIC: "现行评价办法中没有所选的指标，请刷新页面后重试",
  BAD_PERIOD: "统计期有误：开始日期不能晚于结束日期，统计期最长五年，按日统计最长一年",
  BAD_INPUT: "查询条件有误，请检查后重试",
  OUT_OF_SCOPE: "所选的部门或窗口不在您的管辖范围内",
  NOT_FOUND: "没有找到所选的部门或窗口，可能已被撤销",
  FORBIDDEN: "您没有权限查看统计数据",
});

export const GRANULARITIES = Object.freeze({
  DAY: "按日",
  WEEK: "按周",
  MONTH: "按月",
  QUARTER: "按季度",
  YEAR: "按年",
});

// What a ranking ranks (the API's Dimension).
export const RANKED = Object.freeze({
  DEPARTMENT: "部门",
  WINDOW: "窗口",
  STAFF: "工作人员",
});

const FALLBACK = "操作未成功，请稍后重试";

function labelled(table, code) {
  return typeof code === "string" && Object.hasOwn(table, code) ? table[code] : "其他";
}

export const stepName = (code) => labelled(STEPS, code);
export const roleName = (code) => labelled(ROLES, code);
export const actionName = (code) => labelled(ACTIONS, code);
export const outcomeName = (code) => labelled(OUTCOMES, code);
export const closeReasonName = (code) => labelled(CLOSE_REASONS, code);
export const holdReasonName = (code) => labelled(HOLD_REASONS, code);

/** The message for an error: ours for the API's codes, else the API's own (Chinese). */
export function messageFor(error) {
  const code = error && error.code;
  if (typeof code === "string" && Object.hasOwn(ERRORS, code)) {
    return ERRORS[code];
  }
  const text = error && error.apiMessage;
  return typeof text === "string" && text.trim() ? text : FALLBACK;
}

/** The message for a refusal of the statistics: the dashboard's words for its codes. */
export function statsMessageFor(error) {
  const code = error && error.code;
  if (typeof code === "string" && Object.hasOwn(STATS_ERRORS, code)) {
    return STATS_ERRORS[code];
  }
  return messageFor(error);
}
