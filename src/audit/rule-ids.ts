// The audit's rule ids live with the recipe shapes (a recipe's `allow` names them); the audit reads them here.
export { isRuleId, RULE_IDS, type RuleId } from '../recipe/rule-ids.js';
