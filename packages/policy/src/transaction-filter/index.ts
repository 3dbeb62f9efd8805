export {
  compileFilterPattern,
  type FilterMatcher,
  type FilterPatternResult,
} from './filter-pattern.ts';
export {
  FILTER_ACTIONS,
  FILTER_ITEM_TYPES,
  type FilterAction,
  type FilterFileProblem,
  type FilterItemType,
  type FilterRule,
  type ParsedFilterFile,
} from './filter-rule.ts';
export {
  DEFAULT_FILTER_REJECT_CODE,
  DEFAULT_FILTER_REJECT_TEXT,
  filterRejectReply,
} from './filter-reply.ts';
export { parseFilterFile } from './parse-filter-file.ts';
export {
  evaluateFilter,
  FILTER_DISCONNECT_REPLY,
  type FilterDecision,
  type FilterItem,
} from './evaluate-filter.ts';
