// The GraphQL text of an item and of the actions on it: each action returns the item as
// it now is, and the page re-renders from that.
const ITEM_FIELDS = `
  id caseNo matterName department { code name } regionCode ratedStaff { code name }
  status step stepTitle actor evidenceRequired dueAt overdue escalated
  openedAt closedAt closeReason level levelLabel tagLabels comment ratedAt
  timeline { at actorRole actor action step outcome note evidenceIds }
`;

export const ITEM = `query($id: ID!) { workItem(id: $id) { ${ITEM_FIELDS} } }`;

const RESULT = `
  __typename
  ... on WorkItemUpdated { item { ${ITEM_FIELDS} } }
  ... on WorkItemActionRefused { code message }
`;

export const ACTIONS = Object.freeze({
  recordCallback: `mutation($id: ID!, $outcome: CallbackOutcome!, $note: String!) {
    recordCallback(id: $id, outcome: $outcome, note: $note) { ${RESULT} } }`,
  fileAppeal: `mutation($id: ID!, $reason: String!, $evidence: [ID!]) {
    fileAppeal(id: $id, reason: $reason, evidence: $evidence) { ${RESULT} } }`,
  decideAppeal: `mutation($id: ID!, $decision: AppealDecision!, $finding: AppealFinding,
    $note: String!) {
    decideAppeal(id: $id, decision: $decision, finding: $finding, note: $note) { ${RESULT} } }`,
  submitRectification: `mutation($id: ID!, $measures: String!, $evidence: [ID!]) {
    submitRectification(id: $id, measures: $measures, evidence: $evidence) { ${RESULT} } }`,
  reviewRectification: `mutation($id: ID!, $accepted: Boolean!, $note: String!) {
    reviewRectification(id: $id, accepted: $accepted, note: $note) { ${RESULT} } }`,
  spotCheck: `mutation($id: ID!, $passed: Boolean!, $note: String!) {
    spotCheck(id: $id, passed: $passed, note: $note) { ${RESULT} } }`,
});

export const REVEAL = `mutation($caseNo: String!, $reason: String!) {
  revealContact(caseNo: $caseNo, reason: $reason) {
    __typename
    ... on ContactRevealed { phone }
    ... on RevealRefused { code message }
  }
}`;
