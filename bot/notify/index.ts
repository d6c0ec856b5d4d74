export {
  Notifier,
  RetryLater,
  alertReply,
  inQuietHours,
  matches,
  type ChatSender,
  type NotifierOptions,
} from './notifier.ts';
