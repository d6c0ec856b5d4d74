/** bot/: chat-ops. bin/ builds a BotCore from core's services and hands it to these. */
export * from './commands/index.ts';
export * from './render/index.ts';
export { ask, chat, completer, consoleActor, exitCode, replyDocument } from './console/console.ts';
