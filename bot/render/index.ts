export { renderText, textTable, clean, escapeControl } from './text.ts';
export { renderTable, type Column, type RenderedTable, type TableOptions } from './table.ts';
export { renderTerminal, wrap, escapeLines, type TerminalRender } from './terminal.ts';
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
export {
  renderWebex,
  renderWebexMessages,
  escapeMarkdown,
  WEBEX_MAX_BYTES,
  type WebexCard,
  type WebexMessage,
  type WebexRenderOptions,
} from './webex.ts';
