export { renderText, textTable, clean, escapeControl } from './text.ts';
export {
  renderSlack,
  escapeMrkdwn,
  ACTION_PREFIX,
  CONFIRM_PREFIX,
  confirmValue,
  parseConfirmValue,
  type SlackBlock,
  type SlackMessage,
} from './slack.ts';
export { renderWebex, escapeMarkdown, type WebexCard, type WebexMessage } from './webex.ts';
