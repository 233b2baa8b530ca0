// The rules workbench's words: the decision kinds a sample case may ask, an example of each
// one's facts (the scenario files' `given:`, docs/rules.md §3), the outcome's keys, where a
// version came from and why the API refused, all in the policy staff's Chinese.

// [kind, label, example facts]: the examples are the starting point staff edit.
export const KINDS = Object.freeze([
  [
    "rating",
    "评价（一次评价能否提交）",
    {
      level: 1,
      channel: "APP",
      tags: [],
      comment: "办理太慢",
      completed_at: "2026-11-16T10:00:00+08:00",
      rated_at: "2026-11-17T09:00:00+08:00",
      prior: "none",
    },
  ],
  ["level", "评价等级", { level: 2, channel: "PAD" }],
  ["form", "评价表单（各等级及标签）", { channel: "APP" }],
  [
    "rating_window",
    "评价期限（补充评价）",
    { completed_at: "2026-09-30T15:00:00+08:00", rated_at: "2026-10-13T20:00:00+08:00" },
  ],
  ["case_deadlines", "办件期限（默认评价、提醒）", { completed_at: "2026-11-16T10:00:00+08:00" }],
  ["history", "再次评价", { prior: "rating" }],
  ["scope", "评价适用范围", { target: "case", in_batch: true, in_integrated_service: false }],
  ["deadline", "差评处理时限", { step: "callback", from: "2026-11-20T16:00:00+08:00" }],
  ["workflow_step", "差评处理环节", { step: "appeal" }],
  ["mask", "评价人信息脱敏", { role: "dept_handler", field: "phone" }],
  ["moderation", "文字评价审核", { comment: "你们就是骗子" }],
  ["cutoffs", "扫描时点", { now: "2026-10-14T09:00:00+08:00" }],
  ["abuse", "防刷评上限", {}],
]);

// The outcome's keys (the scenario files' `expect:`), as docs/rules.md names them.
const OUTCOME_KEYS = Object.freeze({
  accepted: "是否接受",
  code: "不接受的原因",
  level: "等级",
  label: "名称",
  category: "分类",
  reason_required: "必须说明原因",
  tag_codes: "可选原因标签",
  tags: "原因标签",
  levels: "各等级",
  supersedes: "取代原有评价",
  held_for_review: "文字先审核",
  deadline: "截止时间",
  open: "仍可评价",
  rating_deadline: "补充评价截止",
  default_at: "默认评价时间",
  default_level: "默认等级",
  remind_at: "提醒时间",
  remind_via: "提醒方式",
  applies_to: "适用于",
  when_both: "两者都有时",
  due: "截止时间",
  within: "期限",
  actor: "办理人",
  scope: "办理范围",
  evidence: "须附材料",
  not_by_rated_staff: "被评价人不得办理",
  optional: "可不办理",
  when_overdue: "逾期后",
  pattern: "显示方式",
  hold: "暂缓公开",
  matched: "命中的词",
  window_closed_before: "补充评价期已过（办结早于）",
  default_due_before: "应默认评价（办结早于）",
  remind_due_before: "应提醒（办结早于）",
  remind_quiet_until: "免打扰至",
});

export const keyName = (key) => (Object.hasOwn(OUTCOME_KEYS, key) ? OUTCOME_KEYS[key] : key);

// The policy's words for a level's category (levels[].category).
const CATEGORIES = Object.freeze({ good: "好评", neutral: "中评", bad: "差评" });

/** A value of the outcome in words where the policy has a word for it: "差评（bad）". */
export function valueName(key, value) {
  return key === "category" && Object.hasOwn(CATEGORIES, value)
    ? `${CATEGORIES[value]}（${value}）`
    : null;
}

// Where a version came from (RulesVersionEntry.via).
const VIA = Object.freeze({
  FILE: "规则文件",
  API: "工作台发布",
  ROLLBACK: "回滚",
  START: "系统启动",
});

export const viaName = (code) => (Object.hasOwn(VIA, code) ? VIA[code] : code);

// What a change is (RuleChange.kind).
const CHANGE_KINDS = Object.freeze({ ADDED: "新增", REMOVED: "删除", CHANGED: "修改" });

export const changeKindName = (code) =>
  Object.hasOwn(CHANGE_KINDS, code) ? CHANGE_KINDS[code] : code;

// Why the API refused (RulesRejected.code).
const REJECTIONS = Object.freeze({
  INVALID_RULES: "规则有错误",
  INVALID_SCENARIOS: "场景有错误",
  SCENARIOS_FAILED: "场景未通过",
  NO_SCENARIOS: "没有场景：请先写场景再发布",
  BAD_FACTS: "给定的情况不是 JSON 对象，或与所选的判断类型不符",
  BAD_PERIOD: "模拟期间有误：开始日期不能晚于结束日期",
  NOT_FOUND: "没有找到这个版本，请刷新版本记录后重试",
});

export const rejectionName = (code) =>
  Object.hasOwn(REJECTIONS, code) ? REJECTIONS[code] : `未能完成（${code}）`;
